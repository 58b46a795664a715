"""Two workers claiming at once never get the same row (committed data, separate connections)."""

import datetime
import threading
from collections.abc import Callable

from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django_tenants.utils import tenant_context

from notifications.delivery import claim_due
from notifications.models import Notification
from practica.patients.models import Patient
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from practica.scheduling.validators import with_check_digit
from tenants.models import Practice


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


# The rows are committed (other connections must see them), so they are written with bulk_create
# and removed with plain SQL: no save/delete signals fire, and the append-only audit trail of the
# shared test practice keeps no trace of this test for the tests that count its events.
CREATED_TABLES = [Notification, Appointment, AppointmentType, Provider, Location, Patient]


def test_two_workers_never_claim_the_same_row(practice_a: Practice) -> None:
    def create() -> list[str]:
        with tenant_context(practice_a):
            location = Location.objects.bulk_create([Location(name="Claims", time_zone="America/New_York")])[
                0
            ]
            provider = Provider.objects.bulk_create(
                [Provider(display_name="Dr Claims", npi=with_check_digit("198765432"))]
            )[0]
            visit = AppointmentType.objects.bulk_create([AppointmentType(name="Visit", duration_minutes=30)])[
                0
            ]
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

    def clean_up() -> None:
        with tenant_context(practice_a), connection.cursor() as cursor:
            for model in CREATED_TABLES:
                cursor.execute(f'DELETE FROM "{model._meta.db_table}"')  # noqa: S608  (model table names)

    created = in_thread(create)
    assert isinstance(created, list)
    try:
        start = threading.Barrier(2)
        claimed: dict[int, list[str]] = {0: [], 1: []}

        def worker(index: int) -> None:
            try:
                with tenant_context(practice_a):
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
    finally:
        in_thread(clean_up)
