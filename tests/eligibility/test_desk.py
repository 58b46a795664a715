"""Eligibility at the desk: the badge on the today list (in a fixed number of queries), the
appointment and check-in pages, the "Check eligibility" button asking the payer while the desk
waits (briefly, once), and the payer's copay feeding what is owed at check-in."""

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from practica.accounts.roles import Role
from practica.eligibility import batch, services
from practica.eligibility.checking import Requester, check_coverage
from practica.eligibility.models import EligibilityCheck
from practica.insurance.models import Coverage, Payer
from practica.patients.models import Patient
from practica.scheduling import calendar
from practica.scheduling.booking import cancel_appointment
from tenants.models import Practice
from tests.backoffice.conftest import backoffice_clinic
from tests.claims.factories import BillingProfileFactory, CoverageFactory, PayerFactory
from tests.conftest import signed_in_client, staff
from tests.eligibility.fake_clearinghouse import Answer, FakeClearinghouse, InProcessClearinghouse
from tests.factories import Clinic, PatientFactory

REQUESTER = Requester(npi="1234567893", name="Alpha Clinic")


@pytest.fixture
def fake() -> Iterator[FakeClearinghouse]:
    server = FakeClearinghouse()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clinic(practice_a: Practice, in_practice: Any) -> Iterator[Clinic]:
    with in_practice(practice_a):
        yield backoffice_clinic(practice_a)


@pytest.fixture
def as_role(clinic: Clinic) -> Any:
    return lambda role: signed_in_client(staff(clinic.practice, role), clinic.practice)


def insured(patient: Patient, copay_cents: int | None = None) -> Coverage:
    payer = Payer.objects.filter(name="Lakeview Health").first() or PayerFactory.create(
        name="Lakeview Health", payer_ids={"realtime": "87726"}
    )
    return CoverageFactory.create(patient=patient, payer=payer, copay_cents=copay_cents)


def answered(coverage: Coverage, answer: Answer | None, *, hours_ago: float = 0) -> EligibilityCheck:
    when = timezone.now() - dt.timedelta(hours=hours_ago)
    members = {coverage.member_id: answer} if answer else {}
    return check_coverage(
        coverage,
        clearinghouse=InProcessClearinghouse(members),
        requester=REQUESTER,
        service_date=when.date(),
        now=when,
    )


def test_the_today_list_shows_each_visit_badge_in_a_fixed_number_of_queries(
    as_role: Any, clinic: Clinic, monkeypatch: Any, django_assert_num_queries: Any
) -> None:
    client = as_role(Role.FRONT_DESK)
    first = clinic.next_weekday_at(9)
    clinic.book(first)
    answered(insured(clinic.patient), Answer())
    morning = first.replace(hour=7).astimezone(dt.UTC)
    monkeypatch.setattr(calendar, "timezone", SimpleNamespace(now=lambda: morning))
    url = f"/schedule/today/?location={clinic.location.pk}"
    client.get(url)  # caches warmed (session, practice, freshness)
    with CaptureQueriesContext(connection) as one:
        page = client.get(url)
    assert 'class="badge eligibility-active">Insurance active</span>' in page.content.decode()
    assert len(one) == 17  # the badges: three of them (coverages, latest answers, the window)
    cases: list[tuple[Answer | None, float, str]] = [
        (Answer(status="inactive"), 0, "Insurance inactive"),
        (None, 0, "Insurance not found"),
        (Answer(status="garbage"), 0, "Could not verify"),
        (Answer(), 100, "Insurance active (stale)"),
    ]
    for hour, (answer, age, _) in enumerate(cases, start=10):
        patient = PatientFactory.create()
        clinic.book(first.replace(hour=hour), patient=patient)
        answered(insured(patient), answer, hours_ago=age)
    unchecked, uninsured = PatientFactory.create(), PatientFactory.create()
    insured(unchecked)
    clinic.book(first.replace(hour=14), patient=unchecked)
    clinic.book(first.replace(hour=15), patient=uninsured)
    with django_assert_num_queries(len(one)):
        page = client.get(url)
    text = page.content.decode()
    assert len(page.context["rows"]) == 7
    for _, _, label in cases:
        assert f">{label}</span>" in text, label
    assert ">Not checked</span>" in text and ">No insurance on file</span>" in text


def _configured(fake: FakeClearinghouse) -> None:
    BillingProfileFactory.create()
    services.configure_realtime(fake.url, now=timezone.now())


def test_the_desk_checks_a_visit_and_the_payer_copay_is_owed_at_check_in(
    as_role: Any, clinic: Clinic, fake: FakeClearinghouse
) -> None:
    client = as_role(Role.FRONT_DESK)
    visit = clinic.book(clinic.next_weekday_at(10))
    coverage = insured(clinic.patient, copay_cents=2000)
    _configured(fake)
    fake.members[coverage.member_id] = Answer(copay_cents=3500)
    check_in = f"/schedule/appointments/{visit.pk}/check-in/"
    page = client.get(check_in).content.decode()
    assert ">Not checked</span>" in page and "Check eligibility</button>" in page
    assert "$20.00" in page  # the coverage's own copay until the payer says otherwise
    response = client.post(f"/schedule/appointments/{visit.pk}/eligibility/", {"next": check_in})
    assert response.status_code == 302 and response["Location"] == check_in
    check = EligibilityCheck.objects.get()
    assert (check.trigger, check.appointment_id, check.status) == ("check_in", visit.pk, "active")
    page = client.get(check_in).content.decode()
    assert "Hopper, Grace: insurance active." in page
    assert 'class="badge eligibility-active">Insurance active</span>' in page
    assert '<dd id="copay">$35.00 <span class="muted">(from the payer' in page
    detail = client.get(f"/schedule/appointments/{visit.pk}/").content.decode()
    assert 'class="badge eligibility-active">Insurance active</span>' in detail
    # At the desk the payer is asked again even with a fresh result: the person asked for it.
    client.post(f"/schedule/appointments/{visit.pk}/eligibility/")
    assert len(fake.requests) == 2


def test_a_payer_that_does_not_answer_in_time_is_asked_once_and_shown_as_not_verified(
    as_role: Any, clinic: Clinic, fake: FakeClearinghouse, monkeypatch: Any
) -> None:
    client = as_role(Role.FRONT_DESK)
    visit = clinic.book(clinic.next_weekday_at(10))
    coverage = insured(clinic.patient)
    _configured(fake)
    fake.members[coverage.member_id] = Answer()
    fake.fail_next.append("hang")
    monkeypatch.setattr(batch, "CHECK_IN_TIMEOUT", 0.3)
    monkeypatch.setattr("practica.eligibility.views.CHECK_IN_TIMEOUT", 0.3)
    response = client.post(f"/schedule/appointments/{visit.pk}/eligibility/", follow=True)
    text = response.content.decode()
    assert response.status_code == 200 and "Hopper, Grace: could not verify." in text
    assert "Call the payer" in text or "tried again" in text
    assert len(fake.requests) == 1  # no retry while someone waits
    assert EligibilityCheck.objects.get().status == "unverified"


def test_the_button_says_why_nothing_was_checked(as_role: Any, clinic: Clinic) -> None:
    client = as_role(Role.FRONT_DESK)
    visit = clinic.book(clinic.next_weekday_at(10))
    url = f"/schedule/appointments/{visit.pk}/eligibility/"
    page = client.post(url, follow=True).content.decode()
    assert "No insurance on file for this patient" in page
    insured(clinic.patient)
    response = client.post(url, {"next": "https://evil.example/"})
    assert response["Location"] == f"/schedule/appointments/{visit.pk}/"  # never off the site
    assert "Eligibility checks are not set up" in client.get(response["Location"]).content.decode()
    cancel_appointment(visit, by_patient=False)
    page = client.post(url, follow=True).content.decode()
    assert "Only booked visits are checked" in page
    assert "Check eligibility</button>" not in page
    assert not EligibilityCheck.objects.exists()
    assert client.get(url).status_code == 405
    assert as_role(Role.BILLER).post(url).status_code == 403
