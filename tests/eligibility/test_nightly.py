"""The nightly batch: planned in the public due index when the practice's clearinghouse is
configured, handed out by beat's tick once per lease, checking the next business day's visits and
planning the next evening's run."""

import datetime as dt
from collections.abc import Iterator
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django_tenants.utils import tenant_context

from practica.eligibility import services, tasks
from practica.eligibility.due.models import EligibilityDueWork
from practica.eligibility.errors import EligibilityError
from practica.eligibility.models import EligibilityCheck, EligibilitySettings
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.claims.factories import BillingProfileFactory, CoverageFactory, PayerFactory
from tests.eligibility.fake_clearinghouse import Answer, FakeClearinghouse
from tests.factories import make_clinic

NY = ZoneInfo("America/New_York")
# A Friday evening in New York, after the nightly hour: the next business day is Monday.
FRIDAY_EVENING = dt.datetime(2026, 10, 30, 19, 5, tzinfo=NY)
MONDAY = dt.date(2026, 11, 2)


@pytest.fixture
def fake() -> Iterator[FakeClearinghouse]:
    server = FakeClearinghouse()
    server.start()
    yield server
    server.stop()


def _due(practice: Practice) -> dt.datetime | None:
    return EligibilityDueWork.objects.get(practice=practice).next_due_at


def test_configuring_the_clearinghouse_plans_the_evening_run(practice_a: Practice) -> None:
    assert practice_a.time_zone == "America/New_York"
    noon = dt.datetime(2026, 10, 30, 12, 0, tzinfo=NY)
    with tenant_context(practice_a):
        services.configure_realtime("https://ch.example/core", sender_id="ALPHA", now=noon)
    assert _due(practice_a) == dt.datetime(2026, 10, 30, 19, 0, tzinfo=NY)
    with tenant_context(practice_a):
        services.configure_realtime("https://ch.example/core", now=FRIDAY_EVENING)
    assert _due(practice_a) == dt.datetime(2026, 10, 31, 19, 0, tzinfo=NY)
    with tenant_context(practice_a):
        services.configure_realtime("", now=noon)  # no more real-time checks: nothing planned
        assert EligibilitySettings.objects.get().realtime_url == ""
    assert _due(practice_a) is None


def test_a_bad_address_is_refused_and_nothing_is_written(practice_a: Practice) -> None:
    with tenant_context(practice_a), pytest.raises(EligibilityError, match="not an http"):
        services.configure_realtime("ftp://ch.example", now=FRIDAY_EVENING)
    with tenant_context(practice_a):
        assert not EligibilitySettings.objects.exists()
    assert not EligibilityDueWork.objects.filter(practice=practice_a).exists()


def test_the_tick_hands_out_a_due_practice_once_per_lease(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        services.configure_realtime("https://ch.example/core", now=FRIDAY_EVENING)
    run_at = dt.datetime(2026, 10, 31, 19, 0, tzinfo=NY)
    # Other practices' rows (committed by browser tests) may be in the index too: only A's are checked.
    assert practice_a.schema_name not in tasks.due_practices(now=run_at - dt.timedelta(minutes=1))
    assert practice_a.schema_name in tasks.due_practices(now=run_at)
    assert practice_a.schema_name not in tasks.due_practices(now=run_at + dt.timedelta(minutes=30))
    # A worker that died: the next tick after the lease hands it out again.
    assert practice_a.schema_name in tasks.due_practices(now=run_at + tasks.NIGHTLY_LEASE)


def test_the_tick_queues_the_batch_in_the_practice_schema(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        # Two days before the clock the tick reads, whatever day the suite runs: its run is due.
        services.configure_realtime("https://ch.example/core", now=timezone.now() - dt.timedelta(days=2))
    with mock.patch.object(tasks.run_nightly_for_practice, "apply_async") as queued:
        assert tasks.tick() >= 1
    schemas = [call.kwargs["headers"]["_schema_name"] for call in queued.call_args_list]
    assert practice_a.schema_name in schemas


def _book(clinic: Any, patient: Any, start: dt.datetime) -> Appointment:
    return Appointment.objects.create(
        patient=patient,
        provider=clinic.provider,
        location=clinic.location,
        appointment_type=clinic.visit,
        start=start,
        end=start + dt.timedelta(minutes=30),
        occupancy=DateTimeTZRange(start, start + dt.timedelta(minutes=30), "[)"),
    )


def test_the_nightly_run_checks_the_next_business_day_and_plans_the_next(
    practice_a: Practice, fake: FakeClearinghouse
) -> None:
    from practica.eligibility.nightly import run_nightly

    with tenant_context(practice_a):
        clinic = make_clinic(practice_a, hours=None, patient={"sex": "F"})
        BillingProfileFactory.create()
        services.configure_realtime(fake.url, sender_id="ALPHA", now=FRIDAY_EVENING - dt.timedelta(hours=1))
        payer = PayerFactory.create(name="Lakeview Health", payer_ids={"realtime": "87726"})
        coverage = CoverageFactory.create(patient=clinic.patient, payer=payer)
        fake.members[coverage.member_id] = Answer(status="inactive")
        monday = _book(clinic, clinic.patient, dt.datetime.combine(MONDAY, dt.time(9), NY))
        _book(clinic, clinic.patient, dt.datetime.combine(MONDAY + dt.timedelta(days=1), dt.time(9), NY))
        summary = run_nightly(FRIDAY_EVENING)
        assert summary is not None and summary.day == MONDAY and dict(summary.by_status) == {"inactive": 1}
        check = EligibilityCheck.objects.get()
        assert (check.trigger, check.appointment_id, check.status) == ("nightly", monday.id, "inactive")
    assert len(fake.requests) == 1
    assert _due(practice_a) == dt.datetime(2026, 10, 31, 19, 0, tzinfo=NY)


def test_a_practice_enrolled_without_a_clearinghouse_is_run_once_and_left_unplanned(
    practice_a: Practice,
) -> None:
    EligibilityDueWork.objects.filter(practice=practice_a).delete()
    assert tasks.enrol_practices() >= 1
    assert _due(practice_a) is not None
    assert tasks.enrol_practices() == 0  # once enrolled, never again
    with tenant_context(practice_a):
        assert tasks.run_nightly_for_practice() == "not_configured"
    assert _due(practice_a) is None
