"""Two workers claiming at once never get the same row (committed data, separate connections)."""

import datetime
import threading
from collections.abc import Callable

from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from notifications.delivery import claim_due
from notifications.models import Notification, ReminderPolicy, ReminderRule
from notifications.routing.models import PracticeDueWork
from scheduling.models import Appointment, AppointmentType, Location, Provider
from tenants.models import Practice
from tests.notifications.conftest import local, make_setup


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


def test_two_workers_never_claim_the_same_row(practice_a: Practice) -> None:
    def create() -> list[str]:
        with tenant_context(practice_a):
            setup = make_setup(practice_a)
            appointment = setup.book(local(3, 14))
            past = timezone.now() - datetime.timedelta(minutes=5)
            rows = Notification.objects.bulk_create(
                Notification(appointment=appointment, kind="reminder", channel="sms", due_at=past)
                for _ in range(300)
            )
            Notification.objects.exclude(pk__in=[r.pk for r in rows]).delete()
            return [str(r.pk) for r in rows]

    def clean_up() -> None:
        with tenant_context(practice_a):
            Notification.objects.all().delete()
            Appointment.objects.all().delete()
            AppointmentType.objects.all().delete()
            Provider.objects.all().delete()
            Location.objects.all().delete()
            from patients.models import Patient

            Patient.objects.all().delete()
            ReminderRule.objects.all().delete()
            ReminderPolicy.objects.all().delete()
            PracticeDueWork.objects.filter(practice=practice_a).delete()

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
