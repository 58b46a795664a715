"""The patient chart: every part of the record on one page, in a fixed number of queries, viewing
it audited, and staff starting a conversation from it."""

from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.insurance.services import save_coverage
from practica.intake.models import IntakeSubmission
from practica.messaging.models import Message, Thread
from practica.messaging.services import start_thread
from practica.patient_billing import ledger
from practica.patient_billing.desk import take_payment
from practica.statements import services as statement_services
from practica.statements.models import Statement
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic, make_clinic

pytestmark = pytest.mark.django_db


def _history(clinic: Clinic, visits: int, first: int = 0) -> None:
    patient = clinic.patient
    for n in range(first, first + visits):
        appointment = clinic.book(clinic.next_weekday_at(9 + n % 6, days=3 + n))
        IntakeSubmission.objects.create(appointment=appointment, patient=patient)
        ledger.post_entry(patient, "charge", 1_000, memo="Visit")
        take_payment(patient, 400, method="cash", by=None, location=clinic.location)
        start_thread(patient, f"Question {n}")


def _statements(months: int, first: int = 0) -> None:
    """A statement run a month apart for each month: one statement each for the patient owing."""
    for n in range(first, first + months):
        statement_services.start_run(now=timezone.now() + relativedelta(months=n))


def test_the_chart_shows_the_whole_record_and_costs_the_same_whatever_its_size(
    practice_a: Practice, django_assert_num_queries: Any
) -> None:
    with tenant_context(practice_a):
        clinic = make_clinic(practice_a, patient={"first_name": "Grace", "last_name": "Chen"})
        save_coverage(
            clinic.patient,
            {"payer_name": "Acme Health", "member_id": "ACM123", "relationship": "18", "copay_cents": 2_000},
        )
        _history(clinic, 1)
        _statements(1)
    owner = staff(practice_a, full_name="Olive Owner")
    client = signed_in_client(owner, practice_a)
    url = f"/patients/{clinic.patient.pk}/"
    client.get(url)  # warm the session and caches
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    for shown in (
        "ACM123",
        "$20.00",
        "$6.00",
        "Conversation of",
        "Forms for",
        "/schedule/appointments/",
        "Statement history",
    ):
        assert shown in text, shown
    assert "Olive Owner" in text  # who viewed it
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    assert len(small.captured_queries) == 29  # with the primary coverage's eligibility status
    with tenant_context(practice_a):
        _history(clinic, 12, first=1)
        _statements(12, first=1)
        assert Statement.objects.filter(patient=clinic.patient).count() == 13
        Statement.objects.filter(patient=clinic.patient).update(pdf="statements/made.pdf")
    with django_assert_num_queries(len(small.captured_queries)):
        big = client.get(url)
    assert big.content.decode().count("Conversation of") == 10  # the most recent ten
    assert big.content.decode().count('aria-label="PDF of statement') == 10  # the latest ten statements
    assert "Every statement, payment plans and collections" in big.content.decode()
    with tenant_context(practice_a):
        views = AuditEvent.objects.filter(object_id=str(clinic.patient.pk), action="view").count()
        assert views == 4  # every view of the chart is recorded


def test_staff_start_a_conversation_from_the_chart(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        clinic = make_clinic(practice_a, patient={"email": "grace@example.org"})
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    url = f"/messages/new/{clinic.patient.pk}/"
    empty = desk.post(url, {"body": "   "})
    assert empty.status_code == 302 and empty["Location"] == f"/patients/{clinic.patient.pk}/"
    sent = desk.post(url, {"body": "Please call us about your results."})
    assert sent.status_code == 302 and sent["Location"].startswith("/messages/")
    with tenant_context(practice_a):
        thread = Thread.objects.get(patient=clinic.patient)
        message = thread.messages.get()
        assert message.author == Message.Author.STAFF and message.body.startswith("Please call")
        assert thread.staff_read_at is not None
        assert AuditEvent.objects.filter(object_type="messaging.thread", object_id=str(thread.pk)).exists()
    biller = signed_in_client(staff(practice_a, Role.BILLER), practice_a)
    assert biller.post(url, {"body": "Hello"}).status_code == 403
