"""A booking queues its coverage's check after commit; the booking never waits for it nor fails
because of it."""

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from practica.eligibility.models import EligibilityCheck, EligibilitySettings
from practica.eligibility.tasks import check_booked_appointment
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.claims.factories import BillingProfileFactory, CoverageFactory, PayerFactory
from tests.eligibility.fake_clearinghouse import Answer, FakeClearinghouse
from tests.factories import make_clinic


@pytest.fixture
def fake() -> Iterator[FakeClearinghouse]:
    server = FakeClearinghouse()
    server.start()
    yield server
    server.stop()


def test_a_booking_is_checked_after_commit(
    practice_a: Practice, in_practice: Any, fake: FakeClearinghouse, django_capture_on_commit_callbacks: Any
) -> None:
    with in_practice(practice_a):
        clinic = make_clinic(practice_a, patient={"sex": "M"}, book_override=True)
        BillingProfileFactory.create()
        EligibilitySettings.objects.create(realtime_url=fake.url)
        payer = PayerFactory.create(name="Lakeview Health", payer_ids={"realtime": "87726"})
        coverage = CoverageFactory.create(patient=clinic.patient, payer=payer)
        fake.members[coverage.member_id] = Answer(copay_cents=3500)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            booking = clinic.book(clinic.next_weekday_at(10))
        assert fake.requests == [] and not EligibilityCheck.objects.exists()  # nothing before commit
        for callback in callbacks:
            callback()
        check = EligibilityCheck.objects.get()
        assert check.trigger == "booking" and check.appointment_id == booking.id
        assert check.status == "active" and check.copay_cents == 3500
        # Booked again for the same day: the fresh result is used, the payer is not asked again.
        assert check_booked_appointment(practice_a.schema_name, str(booking.id)) == "fresh"
        assert len(fake.requests) == 1


def test_a_broker_that_is_down_does_not_fail_the_booking(
    practice_a: Practice, in_practice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with in_practice(practice_a):
        clinic = make_clinic(practice_a, patient={"sex": "M"}, book_override=True)
        broken = mock.patch.object(
            check_booked_appointment, "delay", side_effect=ConnectionError("broker down")
        )
        with broken, django_capture_on_commit_callbacks(execute=True):
            booking = clinic.book(clinic.next_weekday_at(10))
        assert Appointment.objects.filter(pk=booking.id).exists()
        # Without a configured clearinghouse the task does nothing, and says so.
        assert check_booked_appointment(practice_a.schema_name, str(booking.id)) == "no_coverage"
        assert check_booked_appointment("nope", str(booking.id)) == "no_practice"
