"""Two workers claiming at once never get the same row (committed data, separate connections)."""

import datetime
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django_tenants.clone import CloneSchema

from notifications.delivery import claim_due
from notifications.models import Notification
from practica.core.tenancy import use_public_schema
from practica.patients.models import Patient
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from practica.scheduling.validators import with_check_digit


def in_thread(work: Callable[[], object]) -> object:
    """Run `work` on its own thread, hence its own committed (autocommit) database connection."""
    result: list[object] = []

    def run() -> None:
        try:
            result.append(work())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result[0] if result else None


# The rows are committed (other connections must see them), so they live in a schema of their own,
# cloned from the template and dropped afterwards: the shared test practices' append-only audit
# trails keep no trace of them for the tests that count their events.
CLAIMS_SCHEMA = "notifications_claims"


def _drop_claims_schema() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{CLAIMS_SCHEMA}" CASCADE')


@pytest.fixture
def claims_schema(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    with django_db_blocker.unblock():
        _drop_claims_schema()
        CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, CLAIMS_SCHEMA)
        try:
            yield CLAIMS_SCHEMA
        finally:
            use_public_schema()
            _drop_claims_schema()


def test_two_workers_never_claim_the_same_row(claims_schema: str) -> None:
    def create() -> list[str]:
        connection.set_schema(claims_schema)  # type: ignore[attr-defined]
        location = Location.objects.bulk_create([Location(name="Claims", time_zone="America/New_York")])[0]
        provider = Provider.objects.bulk_create(
            [Provider(display_name="Dr Claims", npi=with_check_digit("198765432"))]
        )[0]
        visit = AppointmentType.objects.bulk_create([AppointmentType(name="Visit", duration_minutes=30)])[0]
        patient = Patient.objects.bulk_create(
            [Patient(first_name="Clara", last_name="Claims", date_of_birth=datetime.date(1980, 1, 1))]
        )[0]
        start = timezone.now() + datetime.timedelta(days=3)
        end = start + datetime.timedelta(minutes=30)
        appointment = Appointment.objects.bulk_create(
            [
                Appointment(
                    patient=patient,
                    provider=provider,
                    location=location,
                    appointment_type=visit,
                    start=start,
                    end=end,
                    occupancy=DateTimeTZRange(start, end, "[)"),
                )
            ]
        )[0]
        past = timezone.now() - datetime.timedelta(minutes=5)
        rows = Notification.objects.bulk_create(
            Notification(appointment=appointment, kind="reminder", channel="sms", due_at=past)
            for _ in range(300)
        )
        return [str(r.pk) for r in rows]

    created = in_thread(create)
    assert isinstance(created, list)
    start = threading.Barrier(2)
    claimed: dict[int, list[str]] = {0: [], 1: []}

    def worker(index: int) -> None:
        try:
            connection.set_schema(claims_schema)  # type: ignore[attr-defined]
            start.wait()
            while batch := claim_due(limit=7):
                claimed[index] += [str(n.pk) for n in batch]
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not set(claimed[0]) & set(claimed[1])
    assert sorted(claimed[0] + claimed[1]) == sorted(created)
    assert claimed[0] and claimed[1]  # both workers really took part
