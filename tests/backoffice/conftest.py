"""A small practice for back-office tests: a location in New York with a provider working
weekdays 09:00-17:00, a room, a 30-minute visit type and a patient."""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from practica.accounts.roles import Role
from practica.patients.models import Patient
from practica.scheduling.booking import book_appointment
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider, Room, WeeklyHours
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import LocationFactory, PatientFactory, ProviderFactory

NY = ZoneInfo("America/New_York")


@dataclass
class Clinic:
    practice: Practice
    location: Location
    provider: Provider
    room: Room
    visit: AppointmentType
    patient: Patient

    def next_weekday_at(self, hour: int, days: int = 3) -> datetime.datetime:
        """A local time on a weekday at least `days` days ahead (outside any notice)."""
        date = timezone.now().astimezone(NY).date() + datetime.timedelta(days=days)
        while date.weekday() >= 5:
            date += datetime.timedelta(days=1)
        return datetime.datetime.combine(date, datetime.time(hour), tzinfo=NY)

    def book(self, start: datetime.datetime, patient: Patient | None = None) -> Appointment:
        return book_appointment(
            patient=patient or self.patient,
            appointment_type=self.visit,
            provider=self.provider,
            location=self.location,
            start=start,
            source=Appointment.Source.STAFF,
        ).appointment


def make_clinic(practice: Practice) -> Clinic:
    location = LocationFactory.create(time_zone="America/New_York")
    provider = ProviderFactory.create(display_name="Dr Ada Lane")
    provider.locations.add(location)
    for weekday in range(5):
        WeeklyHours.objects.create(
            provider=provider,
            location=location,
            weekday=weekday,
            start_time=datetime.time(9),
            end_time=datetime.time(17),
            effective_from=datetime.date(2020, 1, 1),
        )
    room = Room.objects.create(location=location, name="Room 1")
    visit = AppointmentType.objects.create(
        name="Check-up", duration_minutes=30, min_notice_minutes=60, colour="#336699"
    )
    patient = PatientFactory.create(first_name="Grace", last_name="Hopper")
    return Clinic(practice, location, provider, room, visit, patient)


@pytest.fixture
def clinic(practice_a: Practice, in_practice: Any) -> Iterator[Clinic]:
    with in_practice(practice_a):
        yield make_clinic(practice_a)


@pytest.fixture
def as_role(clinic: Clinic) -> Any:
    def client(role: str = Role.FRONT_DESK) -> Client:
        return signed_in_client(staff(clinic.practice, role), clinic.practice)

    return client
