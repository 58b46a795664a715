"""No double booking under real concurrency: many connections race for one slot, PostgreSQL decides.

The racing connections only see committed rows, so this module works in a schema of its own,
cloned from the practice template and dropped at the end, and touches it only from worker threads,
each with its own connection in autocommit. The test's own connection stays in its usual
rolled-back transaction; nothing is committed to (or flushed from) the session-wide practices.
"""

import datetime
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.clone import CloneSchema

from practica.core.tenancy import use_public_schema
from practica.patients.models import Patient
from practica.scheduling.booking import book_appointment
from practica.scheduling.errors import SlotUnavailable
from practica.scheduling.models import Appointment, WaitlistEntry, WaitlistOffer
from practica.scheduling.waitlist import claim_offer
from tests.factories import LocationFactory, PatientFactory, ProviderFactory
from tests.scheduling.factories import AppointmentTypeFactory, RoomFactory, weekly_hours

T = TypeVar("T")
RACE_SCHEMA = "scheduling_race"
ATTEMPTS = 20
NOW = datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC)
SLOT = datetime.datetime(2026, 3, 10, 15, tzinfo=datetime.UTC)  # a Tuesday, 10:00 in New York


def _drop_race_schema() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{RACE_SCHEMA}" CASCADE')


@pytest.fixture(scope="module")
def race_schema(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    with django_db_blocker.unblock():
        _drop_race_schema()
        CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, RACE_SCHEMA)
        try:
            yield RACE_SCHEMA
        finally:
            use_public_schema()
            _drop_race_schema()


class Runner(Protocol):
    def __call__(self, work: Callable[[], T]) -> T: ...


@pytest.fixture
def in_race_schema(race_schema: str, db: None) -> Runner:
    """Run a function in the race schema on a connection of its own, committing as it goes."""

    def run(work: Callable[[], T]) -> T:
        def on_own_connection() -> T:
            try:
                connection.set_schema(race_schema)  # type: ignore[attr-defined]
                return work()
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(on_own_connection).result()

    return run


def race(attempt: Callable[[int], object], attempts: int = ATTEMPTS) -> list[object]:
    """Run `attempt(i)` for i in 0..attempts-1, each on its own thread and database connection, all
    released at once; returns what each returned, or the SlotUnavailable it raised."""
    barrier = threading.Barrier(attempts)

    def one(index: int) -> object:
        try:
            connection.set_schema(RACE_SCHEMA)  # type: ignore[attr-defined]
            Patient.objects.exists()  # open the connection before the start signal
            barrier.wait(timeout=30)
            return attempt(index)
        except SlotUnavailable as refused:
            return refused
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        return list(pool.map(one, range(attempts)))


def test_twenty_concurrent_bookings_of_one_provider_slot_book_exactly_one(in_race_schema: Runner) -> None:
    def arrange() -> dict[str, Any]:
        location = LocationFactory.create(time_zone="America/New_York")
        provider = ProviderFactory.create()
        provider.locations.add(location)
        weekly_hours(provider, location)
        return {
            "location": location,
            "provider": provider,
            "visit": AppointmentTypeFactory.create(),
            "patients": [PatientFactory.create() for _ in range(ATTEMPTS)],
        }

    data = in_race_schema(arrange)
    results = race(
        lambda i: book_appointment(
            patient=data["patients"][i],
            appointment_type=data["visit"],
            provider=data["provider"],
            location=data["location"],
            start=SLOT,
            source=Appointment.Source.PORTAL,
            now=NOW,
        )
    )

    refused = [result for result in results if isinstance(result, SlotUnavailable)]
    assert len(refused) == ATTEMPTS - 1
    assert all("no longer available" in error.message for error in refused)
    booked = in_race_schema(lambda: Appointment.objects.filter(provider=data["provider"], start=SLOT).count())
    assert booked == 1


def test_twenty_providers_racing_for_one_room_book_exactly_one(in_race_schema: Runner) -> None:
    def arrange() -> dict[str, Any]:
        location = LocationFactory.create(time_zone="America/New_York")
        providers = [ProviderFactory.create() for _ in range(ATTEMPTS)]
        for provider in providers:
            provider.locations.add(location)
            weekly_hours(provider, location)
        return {
            "location": location,
            "room": RoomFactory.create(location=location),
            "providers": providers,
            "procedure": AppointmentTypeFactory.create(needs_room=True),
            "patients": [PatientFactory.create() for _ in range(ATTEMPTS)],
        }

    data = in_race_schema(arrange)
    results = race(
        lambda i: book_appointment(
            patient=data["patients"][i],
            appointment_type=data["procedure"],
            provider=data["providers"][i],
            location=data["location"],
            start=SLOT,
            source=Appointment.Source.STAFF,
            now=NOW,
        )
    )

    refused = [result for result in results if isinstance(result, SlotUnavailable)]
    assert len(refused) == ATTEMPTS - 1
    assert all("no longer available" in error.message for error in refused)
    booked = in_race_schema(lambda: Appointment.objects.filter(room=data["room"], start=SLOT).count())
    assert booked == 1


def test_concurrent_waitlist_claims_for_one_time_book_exactly_one(in_race_schema: Runner) -> None:
    claimants = 5

    def arrange() -> list[WaitlistOffer]:
        location = LocationFactory.create(time_zone="America/New_York")
        provider = ProviderFactory.create()
        provider.locations.add(location)
        weekly_hours(provider, location)
        visit = AppointmentTypeFactory.create()
        offers = []
        for _ in range(claimants):
            entry = WaitlistEntry.objects.create(
                patient=PatientFactory.create(),
                appointment_type=visit,
                earliest=SLOT - datetime.timedelta(days=1),
                latest=SLOT + datetime.timedelta(days=1),
                status=WaitlistEntry.Status.OFFERED,
            )
            offers.append(
                WaitlistOffer.objects.create(
                    entry=entry,
                    provider=provider,
                    location=location,
                    start=SLOT,
                    expires_at=NOW + datetime.timedelta(hours=1),
                )
            )
        return offers

    offers = in_race_schema(arrange)
    results = race(lambda i: claim_offer(offers[i], now=NOW), attempts=claimants)

    refused = [result for result in results if isinstance(result, SlotUnavailable)]
    assert len(refused) == claimants - 1, results
    assert all("no longer available" in error.message for error in refused)

    def outcome() -> tuple[int, list[str]]:
        booked = Appointment.objects.filter(provider_id=offers[0].provider_id, start=SLOT).count()
        statuses = sorted(WaitlistOffer.objects.filter(start=SLOT).values_list("status", flat=True))
        return booked, statuses

    assert in_race_schema(outcome) == (1, ["claimed"] + ["gone"] * (claimants - 1))
