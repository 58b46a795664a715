"""A provider's weekly pattern at a location: its rules checked once, and a whole week set at once.

Every write here goes through the practice's audit triggers with the acting person, like any
other write to the practice's rows.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from practica.scheduling.errors import SchedulingError
from practica.scheduling.models import Location, Provider, WeeklyHours

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY = datetime.timedelta(days=1)

# (field, message): the field is the per-record form's name for what is wrong.
Problem = tuple[str, str]


class WeeklyHoursRefused(SchedulingError):
    """One or more of the rules below said no; `problems` names each (field, message)."""

    code = "invalid_hours"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(" ".join(message for _, message in problems))
        self.problems = problems


def hours_problems(
    provider: Provider | None,
    location: Location | None,
    start: datetime.time | None,
    end: datetime.time | None,
    first: datetime.date | None,
    last: datetime.date | None,
) -> list[Problem]:
    """What is wrong with one block of weekly hours (missing parts are the form's to report)."""
    problems: list[Problem] = []
    if start and end and end <= start:
        problems.append(("end_time", "The end must be after the start."))
    if first and last and last < first:
        problems.append(("effective_until", "The last day cannot be before the first day."))
    if provider and location and not provider.locations.filter(pk=location.pk).exists():
        problems.append(("location", f"{provider.display_name} does not work at {location.name}."))
    return problems


@dataclass(frozen=True)
class DayHours:
    """One day of a week: working hours and an optional break inside them (None: closed)."""

    weekday: int
    start: datetime.time | None = None
    end: datetime.time | None = None
    break_start: datetime.time | None = None
    break_end: datetime.time | None = None

    @property
    def name(self) -> str:
        return WEEKDAYS[self.weekday]


def _day_problems(day: DayHours) -> list[Problem]:
    prefix, problems = WEEKDAYS[day.weekday], []
    field = f"day{day.weekday}"
    if (day.start is None) != (day.end is None):
        problems.append((field, f"{prefix}: enter both the start and the end of working hours."))
    elif day.start and day.end and day.end <= day.start:
        problems.append((field, f"{prefix}: the end must be after the start."))
    if (day.break_start is None) != (day.break_end is None):
        problems.append((field, f"{prefix}: enter both the start and the end of the break."))
    elif day.break_start and day.break_end:
        if day.break_end <= day.break_start:
            problems.append((field, f"{prefix}: the break must end after it starts."))
        elif day.start is None:
            problems.append((field, f"{prefix}: a break needs working hours that day."))
        elif day.end and not (day.start < day.break_start and day.break_end < day.end):
            problems.append((field, f"{prefix}: the break must be inside the working hours."))
    return problems


def week_in_force(provider: Provider, location: Location, on: datetime.date) -> list[DayHours]:
    """The pattern in force on a date, one entry per weekday (the first working block and the
    first break of each day; a day with more is edited rule by rule)."""
    rules = WeeklyHours.objects.filter(
        Q(effective_until__isnull=True) | Q(effective_until__gte=on),
        provider=provider,
        location=location,
        effective_from__lte=on,
    ).order_by("weekday", "start_time")
    work: dict[int, WeeklyHours] = {}
    breaks: dict[int, WeeklyHours] = {}
    for rule in rules:
        target = work if rule.kind == WeeklyHours.Kind.WORK else breaks
        target.setdefault(rule.weekday, rule)
    days = []
    for weekday in range(7):
        block, pause = work.get(weekday), breaks.get(weekday)
        days.append(
            DayHours(
                weekday,
                block.start_time if block else None,
                block.end_time if block else None,
                pause.start_time if pause else None,
                pause.end_time if pause else None,
            )
        )
    return days


@transaction.atomic
def set_week(
    provider: Provider, location: Location, days: list[DayHours], effective_from: datetime.date
) -> list[WeeklyHours]:
    """From `effective_from` on, the provider's week at the location is `days` (a day with no
    hours is closed). Rules in force before that date end the day before; rules starting on or
    after it are replaced. Nothing is written if any day is refused."""
    problems = hours_problems(provider, location, None, None, None, None)
    for day in days:
        problems += _day_problems(day)
    if sorted(day.weekday for day in days) != list(range(7)):
        problems.append(("days", "Give each day of the week once."))
    if problems:
        raise WeeklyHoursRefused(problems)
    # One week edit at a time per provider: two managers saving at once would both end the same
    # rules and both add a week.
    Provider.objects.select_for_update().filter(pk=provider.pk).first()
    current = WeeklyHours.objects.filter(
        Q(effective_until__isnull=True) | Q(effective_until__gte=effective_from),
        provider=provider,
        location=location,
    )
    current.filter(effective_from__gte=effective_from).delete()
    current.filter(effective_from__lt=effective_from).update(effective_until=effective_from - DAY)
    blocks = [(day.weekday, WeeklyHours.Kind.WORK, day.start, day.end) for day in days]
    blocks += [(day.weekday, WeeklyHours.Kind.BREAK, day.break_start, day.break_end) for day in days]
    return WeeklyHours.objects.bulk_create(
        WeeklyHours(
            provider=provider,
            location=location,
            kind=kind,
            weekday=weekday,
            start_time=start,
            end_time=end,
            effective_from=effective_from,
        )
        for weekday, kind, start, end in sorted(blocks, key=lambda block: block[0])
        if start is not None and end is not None
    )
