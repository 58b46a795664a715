"""The demo asks the fake clearinghouse bin/run serves: the coming week's visits are checked through
it when seed_demo is given its address, so the badges show; run again, nothing is asked twice."""

from collections.abc import Iterator
from typing import Any

import pytest

from practica.eligibility.due.models import EligibilityDueWork
from practica.eligibility.models import EligibilityCheck
from practica.eligibility.selectors import coverage_problems
from practica.patients.models import Patient
from tenants.demo_eligibility import seed_eligibility
from tenants.models import Practice
from tests.claims.factories import BillingProfileFactory, CoverageFactory, PayerFactory
from tests.eligibility.fake_clearinghouse import FakeClearinghouse, demo_answer
from tests.factories import PatientFactory, make_clinic


@pytest.fixture
def demo_clearinghouse() -> Iterator[FakeClearinghouse]:
    server = FakeClearinghouse(default=demo_answer)
    server.start()
    yield server
    server.stop()


def test_the_demo_visits_are_checked_against_the_fake_clearinghouse(
    practice_a: Practice, in_practice: Any, demo_clearinghouse: FakeClearinghouse
) -> None:
    with in_practice(practice_a):
        clinic = make_clinic(practice_a)
        BillingProfileFactory.create()
        payer = PayerFactory.create(name="Lakeview Health", payer_ids={"folder": "LKV01"})
        patients: list[Patient] = []
        for hour, member_id in zip((9, 10, 11), ("DEMO0000001", "DEMO0000003", "DEMO0000007"), strict=True):
            patient = PatientFactory.create()
            CoverageFactory.create(patient=patient, payer=payer, member_id=member_id)
            clinic.book(clinic.next_weekday_at(hour, days=2), patient=patient)
            patients.append(patient)
        seed_eligibility(demo_clearinghouse.url)
        status = {c.coverage.member_id: (c.status, c.copay_cents) for c in EligibilityCheck.objects.all()}
        assert status == {
            "DEMO0000001": ("active", 4000),
            "DEMO0000003": ("inactive", None),
            "DEMO0000007": ("not_found", None),
        }
        assert {row.patient_id for row in coverage_problems(clinic.local(0, 0))} == {
            patients[1].pk,
            patients[2].pk,
        }
        asked = len(demo_clearinghouse.requests)
        assert asked == 3
        seed_eligibility(demo_clearinghouse.url)  # again: every result is fresh
        assert len(demo_clearinghouse.requests) == asked
    assert EligibilityDueWork.objects.get(practice=practice_a).next_due_at is not None
