"""Reading the practice's reminder settings, and the quiet-hours rule."""

import datetime
import uuid
from zoneinfo import ZoneInfo

from notifications.models import ReminderPolicy, ReminderRule

DEFAULT_RULES = ((72 * 60, "email"), (24 * 60, "sms"), (2 * 60, "sms"))


def current_policy() -> ReminderPolicy:
    """The practice's policy; created with the default reminders (72 h email, 24 h and 2 h SMS)."""
    policy, created = ReminderPolicy.objects.get_or_create(singleton=True)
    if created and not ReminderRule.objects.exists():
        ReminderRule.objects.bulk_create(
            ReminderRule(offset_minutes=offset, channel=channel) for offset, channel in DEFAULT_RULES
        )
    return policy


def rules_for(appointment_type_id: uuid.UUID) -> list[ReminderRule]:
    """The type's own rules when it has any, else the practice-wide ones."""
    rules = list(ReminderRule.objects.filter(appointment_type_id=appointment_type_id))
    return rules or list(ReminderRule.objects.filter(appointment_type__isnull=True))


def in_quiet_hours(moment: datetime.datetime, policy: ReminderPolicy, time_zone: str) -> bool:
    local = moment.astimezone(ZoneInfo(time_zone)).time()
    start, end = policy.quiet_start, policy.quiet_end
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # quiet hours span midnight


def end_of_quiet_hours(
    moment: datetime.datetime, policy: ReminderPolicy, time_zone: str
) -> datetime.datetime:
    """The first moment after `moment` when quiet hours are over (`moment` must be inside them)."""
    zone = ZoneInfo(time_zone)
    local = moment.astimezone(zone)
    candidate = datetime.datetime.combine(local.date(), policy.quiet_end, tzinfo=zone)
    if candidate <= local:
        candidate += datetime.timedelta(days=1)
    # Round-trip through UTC so a DST change between now and then gives the right wall-clock hour.
    return candidate.astimezone(datetime.UTC)
