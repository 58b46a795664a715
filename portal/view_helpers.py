"""What the portal's pages share: a 404 off a practice host, local times, and parsing the
day, time and ids of the booking pages' query strings into open slots."""

import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest
from django.utils import timezone

from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from practica.scheduling.policies import current_policy
from practica.scheduling.slots import open_slots

DAYS_SHOWN = 7


def practice_or_404(request: HttpRequest) -> None:
    if getattr(request, "practice", None) is None:
        raise Http404("No such page.")


def local_start(appointment: Appointment) -> datetime.datetime:
    return appointment.start.astimezone(ZoneInfo(appointment.location.time_zone))


def parse_day(value: str | None, zone: ZoneInfo) -> datetime.date:
    today = timezone.now().astimezone(zone).date()
    try:
        day = datetime.date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return max(day, today)


def slot_days(
    appointment_type: AppointmentType,
    location: Location,
    provider: Provider | None,
    first_day: datetime.date,
    link: Any,
) -> list[dict[str, Any]]:
    """Open slots for DAYS_SHOWN days from first_day, grouped by the location's local day."""
    zone = ZoneInfo(location.time_zone)
    start = datetime.datetime.combine(first_day, datetime.time(), zone)
    end = datetime.datetime.combine(first_day + datetime.timedelta(days=DAYS_SHOWN), datetime.time(), zone)
    step = current_policy().slot_step_minutes
    slots = open_slots(appointment_type, start, end, provider=provider, location=location, step_minutes=step)
    names = {p.pk: p.display_name for p in Provider.objects.filter(pk__in={s.provider_id for s in slots})}
    days: dict[datetime.date, list[dict[str, Any]]] = {}
    for slot in slots:
        local = slot.start.astimezone(zone)
        days.setdefault(local.date(), []).append(
            {"local": local, "provider": names.get(slot.provider_id, ""), "url": link(slot)}
        )
    return [{"day": day, "slots": day_slots} for day, day_slots in sorted(days.items())]


def parse_uuid(value: str | None) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def parse_start(value: str | None) -> datetime.datetime:
    try:
        start = datetime.datetime.fromisoformat(value or "")
    except ValueError as error:
        raise Http404("No such time.") from error
    if timezone.is_naive(start):
        raise Http404("No such time.")
    return start
