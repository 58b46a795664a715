"""The home page's numbers, per role: each links to a list, and each equals what that list shows
(the test follows every link, as staff would); the page's query count is pinned."""

import datetime
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context
from psycopg.types.range import Range

from practica.accounts.roles import Role
from practica.claims.models import Claim, ClaimStatus
from practica.eligibility.models import EligibilityCheck
from practica.intake.models import IntakeSubmission
from practica.messaging.services import start_thread
from practica.patient_billing.ledger import post_entry
from practica.patient_billing.models import LedgerEntry
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.claims.factories import CoverageFactory
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic, PatientFactory, make_clinic
from tests.surface import plant_billing

pytestmark = pytest.mark.django_db

Status = Appointment.Status
NUMBER = re.compile(r'<a class="card number" href="([^"]+)" data-count="(\d+)">')


def _appointment(clinic: Clinic, status: str, hour: int, days: int = 0) -> Appointment:
    start = clinic.local(days, hour)
    end = start + datetime.timedelta(minutes=30)
    return Appointment.objects.create(
        patient=PatientFactory.create(), provider=clinic.provider, location=clinic.location,
        appointment_type=clinic.visit, start=start, end=end, occupancy=Range(start, end), status=status,
    )  # fmt: skip


def _day(practice: Practice) -> Clinic:
    """Today at one location: appointments of several statuses (and some on other days), forms to
    review, a patient's unread message, a payment, charges to review and a rejected claim."""
    clinic = make_clinic(practice, zone="America/New_York")
    for hour, status in enumerate([Status.BOOKED, Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED,
                                   Status.NO_SHOW, Status.RESCHEDULED], start=8):  # fmt: skip
        appointment = _appointment(clinic, status, hour)
    tomorrow = _appointment(clinic, Status.BOOKED, 9, days=1)
    # The payer said tomorrow's patient's insurance is inactive: a coverage problem before the visit.
    coverage = CoverageFactory.create(patient=tomorrow.patient)
    EligibilityCheck.objects.create(
        coverage=coverage, service_date=tomorrow.start.date(), requested_at=timezone.now(),
        completed_at=timezone.now(), status="inactive",
    )  # fmt: skip
    _appointment(clinic, Status.CHECKED_IN, 9, days=-1)
    IntakeSubmission.objects.create(
        appointment=appointment, patient=appointment.patient, status=IntakeSubmission.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )  # fmt: skip
    start_thread(PatientFactory.create(), "Is the clinic open on Monday?")
    post_entry(appointment.patient, LedgerEntry.Kind.PAYMENT, 2500, memo="Copay", location=clinic.location)
    plant_billing(PatientFactory.create(), clinic.location, clinic.provider)
    Claim.objects.filter(status=ClaimStatus.READY).update(status=ClaimStatus.REJECTED)
    return clinic


def _shown(response: Any) -> int:
    """How many rows the list page shows, read from what it rendered."""
    context = response.context
    if "threads" in context:
        return len(context["threads"])
    if "submissions" in context:
        return len(context["submissions"])
    if "page" in context:
        return int(context["page"].paginator.count)
    if "rows" in context and context["rows"] and isinstance(context["rows"][0], dict):
        return sum(int(row["count"]) for row in context["rows"])
    return len(context["rows"])


def _numbers(client: Client) -> list[tuple[str, int]]:
    return [
        (url.replace("&amp;", "&"), int(n)) for url, n in NUMBER.findall(client.get("/").content.decode())
    ]


@pytest.mark.parametrize("role", [Role.OWNER, Role.FRONT_DESK, Role.BILLER])
def test_every_number_equals_the_list_it_links_to(practice_a: Practice, role: str) -> None:
    with tenant_context(practice_a):
        _day(practice_a)
    client = signed_in_client(staff(practice_a, role), practice_a)
    numbers = _numbers(client)
    assert numbers
    for url, count in numbers:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _shown(response) == count, url


def test_the_numbers_are_todays_and_each_role_sees_its_own(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        clinic = _day(practice_a)
    where = f"location={clinic.location.pk}"
    desk = dict(_numbers(signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)))
    assert desk[f"/schedule/today/?{where}"] == 5  # the rescheduled one and other days left out
    assert desk[f"/schedule/today/?{where}&status=booked"] == 2
    assert desk[f"/schedule/today/?{where}&status=checked_in"] == 1  # patients waiting
    assert desk["/intake/review/"] == 1
    assert desk["/messages/?view=unread"] == 1
    assert desk["/eligibility/problems/"] == 1
    assert not any(url.startswith(("/claims/", "/billing/")) for url in desk)
    biller = dict(_numbers(signed_in_client(staff(practice_a, Role.BILLER), practice_a)))
    assert biller["/claims/charges/"] == 1
    assert biller["/claims/?status=rejected"] == 1
    assert any(url.startswith("/billing/reports/daily/") and n == 1 for url, n in biller.items())
    assert "/intake/review/" in biller and "/messages/?view=unread" in biller  # billers view patients
    assert "/eligibility/problems/" not in biller  # the desk's work


def test_billers_see_denials_overdue_and_due_soon_linked_to_the_filtered_queue(practice_a: Practice) -> None:
    from practica.denials.models import DenialItem

    with tenant_context(practice_a):
        _day(practice_a)  # its planted denial was due long ago
        planted = DenialItem.objects.get()
        today = timezone.localdate(timezone=ZoneInfo(practice_a.time_zone))
        fields = {
            f: getattr(planted, f) for f in ("claim_id", "payer_id", "patient_id", "category", "denied_on")
        }
        for key, days, status in [
            ("yesterday", -1, "open"),
            ("today", 0, "open"),
            ("in-7", 7, "open"),
            ("in-8", 8, "open"),
            ("closed", -3, "written_off"),
        ]:
            DenialItem.objects.create(
                **fields, source_key=key, amount_cents=100, status=status,
                due_on=today + datetime.timedelta(days=days),
            )  # fmt: skip
    biller = signed_in_client(staff(practice_a, Role.BILLER), practice_a)
    numbers = dict(_numbers(biller))
    assert numbers["/denials/?due=overdue"] == 2  # the planted one and yesterday's; not the closed one
    assert numbers["/denials/?due=soon"] == 2  # today and in 7 days
    body = biller.get("/").content.decode()
    assert "Denials overdue" in body and "Denials due in 7 days" in body
    soon = biller.get("/denials/?due=soon")
    assert sorted(row[0].source_key for row in soon.context["rows"]) == ["in-7", "today"]
    desk = dict(_numbers(signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)))
    assert not any(url.startswith("/denials/") for url in desk)


def test_the_home_page_query_count_does_not_grow_with_the_day(practice_a: Practice) -> None:
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    with tenant_context(practice_a):
        clinic = _day(practice_a)
    owner.get("/")
    with CaptureQueriesContext(connection) as first:
        owner.get("/")
    with tenant_context(practice_a):
        for hour in range(14, 20):
            _appointment(clinic, Status.CONFIRMED, hour, days=0)
    with CaptureQueriesContext(connection) as second:
        owner.get("/")
    assert len(first.captured_queries) == len(second.captured_queries) == 25, [
        q["sql"][:120] for q in second.captured_queries
    ]
