"""A bookable clinic and portal patients in practice A, and clients signed in as them."""

import datetime
import time
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from portal.models import PortalAccount
from portal.sessions import ACCOUNT_KEY, PASSWORD_KEY, SCHEMA_KEY, SEEN_KEY, password_stamp
from practica.scheduling.models import AppointmentType, Location, Provider, WeeklyHours
from tenants.models import Practice
from tests.conftest import host_of
from tests.factories import LocationFactory, PatientFactory, ProviderFactory

PATIENT_PASSWORD = "a long portal passphrase 42"
_PATIENT_HASH = make_password(PATIENT_PASSWORD)  # argon2 is slow on purpose: hash once
ZONE = "America/Chicago"


@dataclass
class Clinic:
    location: Location
    provider: Provider
    visit: AppointmentType
    staff_only: AppointmentType

    def local(self, days_ahead: int, hour: int, minute: int = 0) -> datetime.datetime:
        """A local time at the location, `days_ahead` days from today there."""
        zone = ZoneInfo(ZONE)
        day = timezone.now().astimezone(zone).date() + datetime.timedelta(days=days_ahead)
        return datetime.datetime.combine(day, datetime.time(hour, minute), zone)


def make_account(email: str, verified: bool = True, **patient_fields: object) -> PortalAccount:
    patient = PatientFactory.create(email=email, **patient_fields)
    return PortalAccount.objects.create(
        patient=patient,
        email=email,
        password=_PATIENT_HASH,
        email_verified_at=timezone.now() if verified else None,
    )


def portal_client(account: PortalAccount, practice: Practice) -> Client:
    """A client on the practice's host with a patient session for `account`."""
    client = Client(HTTP_HOST=host_of(practice))
    session = client.session
    session[ACCOUNT_KEY] = str(account.pk)
    session[SCHEMA_KEY] = practice.schema_name
    session[SEEN_KEY] = int(time.time())
    session[PASSWORD_KEY] = password_stamp(account)
    session.save()
    return client


@pytest.fixture
def clinic(practice_a: Practice) -> Iterator[Clinic]:
    with tenant_context(practice_a):
        location = LocationFactory.create(time_zone=ZONE, address_line1="1 Main St")
        provider = ProviderFactory.create(display_name="Dr Ada Lane")
        provider.locations.add(location)
        for weekday in range(7):
            WeeklyHours.objects.create(
                provider=provider,
                location=location,
                weekday=weekday,
                start_time=datetime.time(8),
                end_time=datetime.time(18),
                effective_from=datetime.date(2020, 1, 1),
            )
        visit = AppointmentType.objects.create(
            name="Dermatology follow-up", duration_minutes=30, min_notice_minutes=60
        )
        staff_only = AppointmentType.objects.create(
            name="Minor surgery", duration_minutes=60, bookable_online=False
        )
        yield Clinic(location, provider, visit, staff_only)


@pytest.fixture(autouse=True)
def _forget_login_failures() -> None:
    # Failure counters live in Redis, which outlives each test's rolled-back transaction.
    cache.clear()
