"""A day's visits checked in one run (`manage.py check_eligibility`) against the fake clearinghouse:
once per coverage, fresh results skipped, patients without insurance counted, a summary printed."""

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from practica.eligibility.batch import next_business_day
from practica.eligibility.models import EligibilityCheck, EligibilitySettings
from practica.patients.models import Patient
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.claims.factories import BillingProfileFactory, CoverageFactory, PayerFactory
from tests.eligibility.fake_clearinghouse import Answer, FakeClearinghouse
from tests.factories import make_clinic

DAY = dt.date(2026, 11, 3)
NY = ZoneInfo("America/New_York")


@pytest.fixture
def fake() -> Iterator[FakeClearinghouse]:
    server = FakeClearinghouse()
    server.start()
    yield server
    server.stop()


def test_the_next_business_day_skips_the_weekend() -> None:
    assert next_business_day(dt.date(2026, 10, 30)) == dt.date(2026, 11, 2)  # Friday -> Monday
    assert next_business_day(dt.date(2026, 11, 2)) == dt.date(2026, 11, 3)


def test_a_day_of_visits_is_checked_once_per_coverage(
    practice_a: Practice, in_practice: Any, fake: FakeClearinghouse
) -> None:
    with in_practice(practice_a):
        clinic = make_clinic(practice_a, hours=None, patient={"sex": "F"})
        BillingProfileFactory.create()
        EligibilitySettings.objects.create(realtime_url=fake.url, realtime_sender_id="ALPHA")
        payer = PayerFactory.create(name="Lakeview Health", payer_ids={"realtime": "87726"})
        patients = [clinic.patient] + [
            Patient.objects.create(first_name=f"P{i}", last_name="Doe", date_of_birth=dt.date(1990, 1, 1))
            for i in range(3)
        ]
        answers = [Answer(), Answer(status="inactive"), None]
        for patient, answer in zip(patients[:3], answers, strict=True):
            coverage = CoverageFactory.create(patient=patient, payer=payer)
            if answer is not None:
                fake.members[coverage.member_id] = answer
        # Two visits for the first patient (one check), one each for the others, one the next day.
        starts = [
            (patients[0], 9),
            (patients[0], 15),
            (patients[1], 10),
            (patients[2], 11),
            (patients[3], 12),
        ]
        for patient, hour in starts:
            start = dt.datetime.combine(DAY, dt.time(hour), NY)
            Appointment.objects.create(
                patient=patient,
                provider=clinic.provider,
                location=clinic.location,
                appointment_type=clinic.visit,
                start=start,
                end=start + dt.timedelta(minutes=30),
                occupancy=DateTimeTZRange(start, start + dt.timedelta(minutes=30), "[)"),
            )
        tomorrow = dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(9), NY)
        Appointment.objects.create(
            patient=patients[1],
            provider=clinic.provider,
            location=clinic.location,
            appointment_type=clinic.visit,
            start=tomorrow,
            end=tomorrow + dt.timedelta(minutes=30),
            occupancy=DateTimeTZRange(tomorrow, tomorrow + dt.timedelta(minutes=30), "[)"),
        )
    out = StringIO()
    call_command("check_eligibility", "--practice", practice_a.slug, "--date", DAY.isoformat(), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "2026-11-03: 5 appointments, 3 coverages checked, 0 with a fresh result, 1 without insurance on file"
    )
    assert lines[1:] == ["  active: 1", "  inactive: 1", "  not_found: 1"]
    assert len(fake.requests) == 3 and all(r["SenderID"] == "ALPHA" for r in fake.requests)
    with in_practice(practice_a):
        assert EligibilityCheck.objects.filter(trigger="nightly").count() == 3
    # Run again: every result is fresh, nothing is sent.
    out = StringIO()
    call_command("check_eligibility", "--practice", practice_a.slug, "--date", DAY.isoformat(), stdout=out)
    assert "0 coverages checked, 3 with a fresh result" in out.getvalue()
    assert len(fake.requests) == 3


def test_the_command_says_what_is_missing(practice_a: Practice, in_practice: Any) -> None:
    with pytest.raises(CommandError, match="No practice 'nope'"):
        call_command("check_eligibility", "--practice", "nope")
    with pytest.raises(CommandError, match="is not a date"):
        call_command("check_eligibility", "--practice", practice_a.slug, "--date", "tomorrow")
    with pytest.raises(CommandError, match="No real-time clearinghouse is configured"):
        call_command("check_eligibility", "--practice", practice_a.slug, "--date", "2026-11-03")
