"""When each provider works, as UTC intervals, from the weekly pattern in each location's time zone.

Weekly hours are wall-clock times at the location; each date is converted on its own, so a
09:00-17:00 block stays 09:00-17:00 local across daylight-saving changes.
"""

import datetime
from collections import defaultdict
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q

from practica.scheduling.errors import SchedulingError
from practica.scheduling.intervals import Interval, merge, subtract
from practica.scheduling.models import ExtraHours, Holiday, Location, Provider, TimeOff, WeeklyHours

WEEK = datetime.timedelta(days=7)
# (provider id, location id) -> merged UTC working intervals
WorkingTime = dict[tuple[UUID, UUID], list[Interval]]


def _local(date: datetime.date, time: datetime.time, zone: ZoneInfo) -> datetime.datetime:
    # fold=0: an ambiguous wall time (clocks going back) means its first occurrence.
    return datetime.datetime.combine(date, time, tzinfo=zone).astimezone(datetime.UTC)


def _weekly_dates(rule: WeeklyHours, first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The dates in [first, last] (and in the rule's effective range) that fall on its weekday."""
    start = max(first, rule.effective_from)
    end = min(last, rule.effective_until) if rule.effective_until else last
    day = start + datetime.timedelta(days=(rule.weekday - start.weekday()) % 7)
    dates = []
    while day <= end:
        dates.append(day)
        day += WEEK
    return dates


def working_time(
    provider_ids: list[UUID],
    start: datetime.datetime,
    end: datetime.datetime,
    location_id: UUID | None = None,
) -> WorkingTime:
    """Working intervals per (provider, location) overlapping [start, end), in four queries."""
    # Local dates can differ from UTC dates by up to a day either side.
    first, last = (start - datetime.timedelta(days=1)).date(), (end + datetime.timedelta(days=1)).date()
    rules = WeeklyHours.objects.filter(
        Q(effective_until__isnull=True) | Q(effective_until__gte=first),
        provider_id__in=provider_ids,
        effective_from__lte=last,
        location__is_active=True,
    )
    extra = ExtraHours.objects.filter(provider_id__in=provider_ids, start__lt=end, end__gt=start)
    if location_id is not None:
        rules, extra = rules.filter(location_id=location_id), extra.filter(location_id=location_id)
    zones = {loc.pk: ZoneInfo(loc.time_zone) for loc in Location.objects.only("id", "time_zone")}
    holidays = set(Holiday.objects.filter(date__range=(first, last)).values_list("date", flat=True))

    work: dict[tuple[UUID, UUID], list[Interval]] = defaultdict(list)
    breaks: dict[tuple[UUID, UUID], list[Interval]] = defaultdict(list)
    for rule in rules:
        zone = zones[rule.location_id]
        target = work if rule.kind == WeeklyHours.Kind.WORK else breaks
        for date in _weekly_dates(rule, first, last):
            if date in holidays:
                continue
            target[(rule.provider_id, rule.location_id)].append(
                (_local(date, rule.start_time, zone), _local(date, rule.end_time, zone))
            )
    for block in extra:
        work[(block.provider_id, block.location_id)].append((block.start, block.end))

    away: dict[UUID, list[Interval]] = defaultdict(list)
    for off in TimeOff.objects.filter(provider_id__in=provider_ids, start__lt=end, end__gt=start):
        away[off.provider_id].append((off.start, off.end))

    result: WorkingTime = {}
    for key, intervals in work.items():
        free = subtract(intervals, breaks.get(key, []) + away.get(key[0], []))
        clipped = [(max(s, start), min(e, end)) for s, e in merge(free) if e > start and s < end]
        if clipped:
            result[key] = clipped
    return result


def _check_extra_hours(
    provider: Provider, location: Location, start: datetime.datetime, end: datetime.datetime
) -> None:
    if end <= start:
        raise SchedulingError("The end must be after the start.", "invalid_range")
    if not provider.locations.filter(pk=location.pk).exists():
        raise SchedulingError(f"{provider.display_name} does not work at {location.name}.", "wrong_location")


def _offer_after_commit(
    provider: Provider,
    location: Location,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None,
) -> None:
    def offer() -> None:
        from practica.scheduling.waitlist import (
            offer_new_hours,  # the waitlist books, and booking reads hours
        )

        offer_new_hours(provider, location, start, end, now=now)

    transaction.on_commit(offer)


def add_extra_hours(
    provider: Provider,
    location: Location,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
) -> ExtraHours:
    """One-off working time; after commit, its open slots are offered to matching waiting patients."""
    _check_extra_hours(provider, location, start, end)
    block = ExtraHours.objects.create(provider=provider, location=location, start=start, end=end)
    _offer_after_commit(provider, location, start, end, now)
    return block


def change_extra_hours(
    block: ExtraHours,
    *,
    provider: Provider,
    location: Location,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
) -> ExtraHours:
    """Move or stretch one-off working time; after commit, its open slots are offered to matching
    waiting patients (one already holding an offer is not offered another)."""
    _check_extra_hours(provider, location, start, end)
    block.provider, block.location, block.start, block.end = provider, location, start, end
    block.save(update_fields=["provider", "location", "start", "end"])
    _offer_after_commit(provider, location, start, end, now)
    return block
