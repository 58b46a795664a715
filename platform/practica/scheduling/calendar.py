"""Reads for the staff calendar: a day or week grid per provider, location or room, in local time.

Cost: a fixed number of queries whatever the number of appointments (the scope's objects, the
appointments with their patient, type, provider and room in one query, and the working hours),
then pure Python to lay the grid out.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from practica.scheduling.availability import working_time
from practica.scheduling.intervals import Interval
from practica.scheduling.models import Appointment, Location, Provider, Room

SCOPES = ("provider", "location", "room")
DAY_START, DAY_END = datetime.time(7), datetime.time(19)


@dataclass
class Column:
    """One column of the grid: a day, or at one location on one day, a provider."""

    label: str
    date: datetime.date
    provider: Provider | None = None
    room: Room | None = None
    working: list[Interval] = field(default_factory=list)


@dataclass
class Cell:
    start: datetime.datetime
    column: Column
    appointments: list[Appointment] = field(default_factory=list)
    busy: bool = False
    working: bool = False
    past: bool = False
    now: bool = False  # the current time falls in this cell


@dataclass
class Row:
    label: str
    cells: list[Cell]
    now: bool = False  # the current time falls in this row, on a day the grid shows


@dataclass
class Grid:
    scope: str
    location: Location
    zone: ZoneInfo
    first: datetime.date
    days: int
    columns: list[Column]
    rows: list[Row]
    appointments: list[Appointment]
    provider: Provider | None = None
    room: Room | None = None


def appointments_between(
    start: datetime.datetime, end: datetime.datetime, **filters: object
) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(start__lt=end, end__gt=start, **filters)
        .exclude(status=Appointment.Status.RESCHEDULED)
        .select_related("patient", "appointment_type", "provider", "room", "location")
        .order_by("start")
    )


def _local_midnight(date: datetime.date, zone: ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(date, datetime.time(), tzinfo=zone)


def build_grid(
    *,
    scope: str,
    location: Location,
    first: datetime.date,
    days: int,
    step_minutes: int,
    provider: Provider | None = None,
    room: Room | None = None,
) -> Grid:
    """Lay out `days` days from `first` at `location`'s time zone, one row per `step_minutes`.

    Columns are days, except a one-day location view, where they are the location's providers.
    """
    zone = ZoneInfo(location.time_zone)
    start = _local_midnight(first, zone)
    end = _local_midnight(first + datetime.timedelta(days=days), zone)
    filters: dict[str, object] = {}
    if scope == "provider":
        filters["provider"] = provider
    elif scope == "room":
        filters["room"] = room
    else:
        filters["location"] = location
    appointments = list(appointments_between(start, end, **filters))

    dates = [first + datetime.timedelta(days=offset) for offset in range(days)]
    columns: list[Column]
    if scope == "location" and days == 1:
        providers = list(location.providers.filter(is_active=True).order_by("display_name"))
        columns = [Column(p.display_name, first, provider=p) for p in providers]
    else:
        columns = [Column(f"{d:%a %b} {d.day}", d, provider=provider, room=room) for d in dates]

    provider_ids = [c.provider.pk for c in columns if c.provider is not None]
    hours = working_time(list(dict.fromkeys(provider_ids)), start, end, location.pk) if provider_ids else {}
    for column in columns:
        if column.provider is not None:
            column.working = hours.get((column.provider.pk, location.pk), [])

    step = datetime.timedelta(minutes=step_minutes)
    now = timezone.now()
    # A grid showing today reaches the current time, however late: it opens scrolled to it.
    shown_now = [[(now, now + step)]] if start <= now < end else []
    earliest, latest = _day_bounds(appointments, list(hours.values()) + shown_now, zone)
    times: list[datetime.time] = []
    moment = datetime.datetime.combine(first, earliest)
    last = datetime.datetime.combine(first, latest)
    while moment < last:
        times.append(moment.time())
        moment += step

    by_column: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in appointments:
        local_date = appointment.start.astimezone(zone).date()
        for index, column in enumerate(columns):
            if column.date == local_date and (
                column.provider is None
                or scope != "location"
                or column.provider.pk == appointment.provider_id
            ):
                by_column[index].append(appointment)

    rows = []
    for time in times:
        cells = []
        for index, column in enumerate(columns):
            cell_start = datetime.datetime.combine(column.date, time, tzinfo=zone)
            cell_end = cell_start + step
            cell = Cell(
                start=cell_start, column=column, past=cell_start < now, now=cell_start <= now < cell_end
            )
            for appointment in by_column[index]:
                if cell_start <= appointment.start < cell_end:
                    cell.appointments.append(appointment)
                elif appointment.start < cell_end and appointment.end > cell_start and appointment.is_active:
                    cell.busy = True
            # Without a provider there are no hours to show: leave the cell unshaded.
            cell.working = column.provider is None or any(
                s <= cell_start and cell_end <= e for s, e in column.working
            )
            cells.append(cell)
        rows.append(Row(time.strftime("%H:%M"), cells, now=any(cell.now for cell in cells)))
    return Grid(scope, location, zone, first, days, columns, rows, appointments, provider, room)


def _day_bounds(
    appointments: list[Appointment], hours: list[list[Interval]], zone: ZoneInfo
) -> tuple[datetime.time, datetime.time]:
    """The grid spans 07:00-19:00, widened to whatever work or appointment falls outside it."""
    earliest, latest = DAY_START, DAY_END
    moments = [(a.start, a.end) for a in appointments] + [span for spans in hours for span in spans]
    for begin, finish in moments:
        local_begin, local_finish = begin.astimezone(zone), finish.astimezone(zone)
        earliest = min(earliest, local_begin.time().replace(minute=0, second=0, microsecond=0))
        if local_finish.date() > local_begin.date():
            latest = datetime.time(23, 59)
        else:
            latest = max(latest, local_finish.time())
    if latest == datetime.time(23, 59):
        return earliest, latest
    if latest.minute or latest.second:
        latest = datetime.time(min(latest.hour + 1, 23), 59 if latest.hour == 23 else 0)
    return earliest, latest


def today_window(location: Location) -> tuple[datetime.datetime, datetime.datetime]:
    """Today at the location, from its midnight to the next, in its time zone."""
    zone = ZoneInfo(location.time_zone)
    today = timezone.now().astimezone(zone).date()
    return _local_midnight(today, zone), _local_midnight(today + datetime.timedelta(days=1), zone)


def today_at(location: Location, status: str = "") -> list[Appointment]:
    """Today's appointments at the location (of one status, if given), by start time."""
    start, end = today_window(location)
    filters: dict[str, object] = {"location": location}
    if status:
        filters["status"] = status
    return list(appointments_between(start, end, **filters))


def local_today(location: Location) -> datetime.date:
    return timezone.now().astimezone(ZoneInfo(location.time_zone)).date()


def parse_uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
