"""Scheduling test data: appointment types, rooms, and a provider's weekly hours."""

import datetime

import factory

from practica.scheduling.models import AppointmentType, Location, Provider, Room, WeeklyHours

WEEKDAYS = range(5)


class AppointmentTypeFactory(factory.django.DjangoModelFactory[AppointmentType]):
    class Meta:
        model = AppointmentType

    name = factory.Sequence(lambda n: f"Visit {n}")
    duration_minutes = 30
    min_notice_minutes = 60


class RoomFactory(factory.django.DjangoModelFactory[Room]):
    class Meta:
        model = Room

    name = factory.Sequence(lambda n: f"Room {n}")


def weekly_hours(
    provider: Provider,
    location: Location,
    start: datetime.time = datetime.time(9),
    end: datetime.time = datetime.time(12),
    *,
    weekdays: range | list[int] = WEEKDAYS,
    effective_from: datetime.date = datetime.date(2026, 1, 1),
    effective_until: datetime.date | None = None,
    kind: str = WeeklyHours.Kind.WORK,
) -> list[WeeklyHours]:
    return [
        WeeklyHours.objects.create(
            provider=provider,
            location=location,
            weekday=weekday,
            start_time=start,
            end_time=end,
            effective_from=effective_from,
            effective_until=effective_until,
            kind=kind,
        )
        for weekday in weekdays
    ]
