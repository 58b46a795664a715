"""Open-slot search: where an appointment of a given type fits.

Cost: a fixed number of queries whatever the number of providers or days (weekly hours, extra
hours, holidays, time off, locations, appointments, rooms), then pure Python over sorted lists.
"""

import datetime
from bisect import bisect_left
from collections import Counter, defaultdict
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q
from django.utils import timezone

from practica.scheduling.availability import working_time
from practica.scheduling.errors import SchedulingError
from practica.scheduling.intervals import Interval, merge
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider, Room
from practica.scheduling.policies import current_policy

MAX_SEARCH_DAYS = 31


@dataclass(frozen=True)
class Slot:
    start: datetime.datetime
    end: datetime.datetime
    provider_id: UUID
    location_id: UUID
    room_id: UUID | None = None


class BusyTimes:
    """Merged busy intervals of one provider or room, with a fast overlap test."""

    def __init__(self, intervals: list[Interval]) -> None:
        self.intervals = merge(intervals)
        self.ends = [end for _, end in self.intervals]

    def is_free(self, start: datetime.datetime, end: datetime.datetime) -> bool:
        # The first busy interval ending after `start` is the only one that can overlap.
        index = bisect_left(self.ends, start + datetime.timedelta(microseconds=1))
        return index == len(self.intervals) or self.intervals[index][0] >= end


def providers_for(appointment_type: AppointmentType, location: Location | None) -> list[Provider]:
    providers = Provider.objects.filter(is_active=True)
    if appointment_type.providers.exists():
        providers = providers.filter(appointment_types=appointment_type)
    if location is not None:
        providers = providers.filter(locations=location)
    return list(providers.order_by("display_name"))


def booking_window(
    appointment_type: AppointmentType, now: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """The earliest and latest start the type allows from `now` (minimum notice, days ahead)."""
    earliest = now + datetime.timedelta(minutes=appointment_type.min_notice_minutes)
    latest = now + datetime.timedelta(days=appointment_type.max_days_ahead)
    return earliest, latest


def validate_range(start: datetime.datetime, end: datetime.datetime) -> None:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise SchedulingError(
            "Give times with a time zone offset, e.g. 2026-12-01T09:00:00-05:00.", "invalid_time_zone"
        )
    if end <= start:
        raise SchedulingError("The end of the range must be after its start.", "invalid_range")
    if end - start > datetime.timedelta(days=MAX_SEARCH_DAYS):
        raise SchedulingError(f"Search at most {MAX_SEARCH_DAYS} days at a time.", "range_too_long")


def validate_search_window(
    appointment_type: AppointmentType,
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime,
) -> None:
    """Refuse a search that cannot find anything because of the date alone: a range that is over,
    or one that starts after the type's last bookable day. open_slots clips a range that only
    overlaps the window; callers that answer an explicit request (the API) say why it is empty."""
    validate_range(start, end)
    if end <= now:
        raise SchedulingError("That range is in the past; search from now on.", "past")
    latest = booking_window(appointment_type, now)[1]
    if start >= latest:
        raise SchedulingError(
            f"{appointment_type.name} can be booked at most {appointment_type.max_days_ahead} days ahead"
            f" (until {latest:%Y-%m-%d %H:%M} UTC).",
            "too_far_ahead",
        )


def _busy_by(rows: list[tuple[UUID, datetime.datetime, datetime.datetime]]) -> dict[UUID, BusyTimes]:
    grouped: dict[UUID, list[Interval]] = defaultdict(list)
    for key, lower, upper in rows:
        grouped[key].append((lower, upper))
    return {key: BusyTimes(intervals) for key, intervals in grouped.items()}


def _first_on_grid(
    block_start: datetime.datetime, earliest: datetime.datetime, step: datetime.timedelta
) -> datetime.datetime:
    """The first start at or after `earliest` on the block's grid: a block starting 09:00 local
    offers 09:00, 09:15, ... whatever the location's UTC offset."""
    if earliest <= block_start:
        return block_start
    remainder = (earliest - block_start) % step
    return earliest if not remainder else earliest + (step - remainder)


def open_slots(
    appointment_type: AppointmentType,
    start: datetime.datetime,
    end: datetime.datetime,
    *,
    provider: Provider | None = None,
    location: Location | None = None,
    now: datetime.datetime | None = None,
    step_minutes: int | None = None,
    for_patient: bool = False,
) -> list[Slot]:
    """Slots whose start lies in [start, end), respecting working hours (with effective dates),
    breaks, time off, extra hours, holidays, existing appointments with buffers, rooms, minimum
    notice and maximum days ahead. Times are UTC; working hours are read in each location's zone.

    provider=None means "any provider": each start time is offered once, by the least-booked free
    provider (fewest active appointments around the range), then by name. `step_minutes` defaults
    to the practice policy's slot step. `for_patient` refuses types not bookable online.

    Raises SchedulingError for a bad range, or a provider who does not offer the type there.
    """
    validate_range(start, end)
    if for_patient and not appointment_type.bookable_online:
        raise SchedulingError("This appointment type cannot be booked online.", "not_bookable_online")
    now = now or timezone.now()
    if step_minutes is None:
        step_minutes = current_policy().slot_step_minutes
    earliest, latest = booking_window(appointment_type, now)
    start, end = max(start, earliest), min(end, latest)

    providers = providers_for(appointment_type, location)
    if provider is not None:
        if provider not in providers:
            where = f" at {location.name}" if location is not None else ""
            raise SchedulingError(
                f"{provider.display_name} does not offer this appointment type{where}.", "wrong_provider"
            )
        providers = [provider]
    if not providers or start >= end:
        return []
    provider_ids = [p.pk for p in providers]
    duration = datetime.timedelta(minutes=appointment_type.duration_minutes)
    before = datetime.timedelta(minutes=appointment_type.buffer_before_minutes)
    after = datetime.timedelta(minutes=appointment_type.buffer_after_minutes)
    # Working time must contain the appointment itself; busy checks use the buffered occupancy. Blocks
    # are read from a day earlier so that each keeps its real start, which anchors the slot grid.
    hours = working_time(
        provider_ids, start - datetime.timedelta(days=1), end + duration, location.pk if location else None
    )
    if not hours:
        return []

    window = (
        start - before - datetime.timedelta(hours=12),
        end + duration + after + datetime.timedelta(hours=12),
    )
    active = Q(status__in=Appointment.ACTIVE_STATUSES, occupancy__overlap=window)
    provider_rows = list(
        Appointment.objects.filter(active, provider_id__in=provider_ids).values_list(
            "provider_id", "occupancy__startswith", "occupancy__endswith"
        )
    )
    provider_busy = _busy_by(provider_rows)
    bookings = Counter(row[0] for row in provider_rows)

    rooms_at: dict[UUID, list[UUID]] = defaultdict(list)
    room_busy: dict[UUID, BusyTimes] = {}
    if appointment_type.needs_room:
        location_ids = {loc for _, loc in hours}
        for room_pk, room_location in Room.objects.filter(
            location_id__in=location_ids, is_active=True
        ).values_list("id", "location_id"):
            rooms_at[room_location].append(room_pk)
        room_ids = [room for rooms in rooms_at.values() for room in rooms]
        room_busy = _busy_by(
            list(
                Appointment.objects.filter(active, room_id__in=room_ids).values_list(
                    "room_id", "occupancy__startswith", "occupancy__endswith"
                )
            )
        )

    step = datetime.timedelta(minutes=step_minutes)
    free_everywhere = BusyTimes([])
    # "Any provider" offers each start once, from the least-booked free provider (then by name).
    # Walking providers in that order, a start already offered needs no further checks.
    rank = {p.pk: (bookings[p.pk], index) for index, p in enumerate(providers)}
    one_per_start = provider is None
    taken: set[datetime.datetime] = set()
    found: list[Slot] = []
    for (provider_id, location_id), intervals in sorted(hours.items(), key=lambda item: rank[item[0][0]]):
        busy = provider_busy.get(provider_id, free_everywhere)
        rooms = rooms_at.get(location_id, [])
        for work_start, work_end in intervals:
            moment = _first_on_grid(work_start, start, step)
            while moment < end and moment + duration <= work_end:
                if one_per_start and moment in taken:
                    moment += step
                    continue
                occupied = (moment - before, moment + duration + after)
                if busy.is_free(*occupied):
                    room_id: UUID | None = None
                    if appointment_type.needs_room:
                        room_id = next(
                            (r for r in rooms if room_busy.get(r, free_everywhere).is_free(*occupied)), None
                        )
                    if room_id is not None or not appointment_type.needs_room:
                        found.append(Slot(moment, moment + duration, provider_id, location_id, room_id))
                        taken.add(moment)
                moment += step

    found.sort(key=lambda slot: (slot.start, str(slot.provider_id)))
    return found
