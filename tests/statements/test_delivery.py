"""A statement reaches the patient: a notice by email (and text with consent) that says only that
it is ready, with the portal's link; the PDF in the portal; paper ones in the run's print batch."""

import io

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from notifications.delivery import send_due
from notifications.models import Kind, Notification
from practica.patient_billing.models import LedgerEntry
from practica.patients.models import PatientProfile
from practica.statements import rendering, services
from practica.statements.models import Statement, StatementRun
from tenants.models import Practice
from tests.portal.conftest import make_account, portal_client
from tests.statements.conftest import NOW, owing

pytestmark = pytest.mark.django_db


def _run_and_render() -> StatementRun:
    run = services.start_run(now=NOW)
    rendering.render(Statement.objects.filter(run=run).values_list("pk", flat=True), now=NOW)
    run.refresh_from_db()
    return run


def test_the_notice_says_a_statement_is_ready_and_nothing_about_amounts(in_a: Practice) -> None:
    emailed = owing([(20, 12345)], email="rhea@example.com", first_name="Rhea")
    texted = owing([(20, 4000)], email="sol@example.com")
    texted.phone = "+13125550111"
    texted.save()
    PatientProfile.objects.filter(patient=texted).update(sms_consent=True)
    _run_and_render()

    rows = Notification.objects.filter(kind=Kind.STATEMENT_READY)
    assert sorted((r.statement.patient_id == texted.pk, r.channel) for r in rows) == [  # type: ignore[union-attr]
        (False, "email"),
        (True, "email"),
        (True, "sms"),
    ]
    assert Statement.objects.get(patient=emailed).delivery == Statement.Delivery.EMAIL
    send_due(now=NOW)
    message = next(m for m in mail.outbox if m.to == ["rhea@example.com"])
    assert "statement is ready" in message.body and "/portal/statements/" in message.body
    assert "$" not in message.body and "123.45" not in message.body


def test_paper_for_those_who_ask_or_have_no_email_in_one_print_batch(in_a: Practice) -> None:
    owing(5000, first_name="Ada", last_name="Zinn")  # no email
    wants_paper = owing(6000, email="bo@example.com", first_name="Bo", last_name="Abbot")
    services.set_paper_statements(wants_paper.pk, True)
    owing(7000, email="cy@example.com")
    run = _run_and_render()
    assert run.finished_at == NOW and run.print_batch
    deliveries = sorted(Statement.objects.values_list("delivery", flat=True))
    assert deliveries == ["email", "paper", "paper"]
    assert not Notification.objects.filter(statement__delivery="paper").exists()
    with run.print_batch.open("rb") as handle:
        pages = PdfReader(io.BytesIO(handle.read())).pages
    assert len(pages) == 2
    assert "Bo Abbot" in pages[0].extract_text() and "Ada Zinn" in pages[1].extract_text()


def test_a_reminder_is_not_sent_once_the_statement_is_paid(in_a: Practice) -> None:
    from notifications.notices import plan_statement_notice

    patient = owing(5000, email="di@example.com")
    _run_and_render()
    statement = Statement.objects.get(patient=patient)
    send_due(now=NOW)
    mail.outbox.clear()
    plan_statement_notice(statement, Kind.STATEMENT_REMINDER, email=True, sms=False, now=NOW)
    Statement.objects.filter(pk=statement.pk).update(status=Statement.Status.PAID)
    send_due(now=NOW)
    assert mail.outbox == []
    assert Notification.objects.get(kind=Kind.STATEMENT_REMINDER).error_code == "statement_closed"


def test_the_portal_lists_the_patients_statements_and_serves_only_their_pdfs(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("eve@example.com", first_name="Eve")
        LedgerEntry.objects.create(patient=account.patient, kind="charge", amount_cents=2500, posted_at=NOW)
        other = owing(9900)
        _run_and_render()
        mine = Statement.objects.get(patient=account.patient)
        theirs = Statement.objects.get(patient=other)
    client = portal_client(account, practice_a)
    page = client.get("/portal/statements/")
    assert page.status_code == 200
    assert b"$25.00" in page.content and f"/portal/statements/{mine.pk}/pdf/".encode() in page.content
    assert b"$99.00" not in page.content
    pdf = client.get(f"/portal/statements/{mine.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert client.get(f"/portal/statements/{theirs.pk}/pdf/").status_code == 404
    spanish = client.get("/portal/statements/", HTTP_ACCEPT_LANGUAGE="es")
    assert spanish.status_code == 200 and "Sus estados de cuenta" in spanish.content.decode()


def test_staff_see_the_run_and_download_the_print_batch(practice_a: Practice) -> None:
    from tests.conftest import signed_in_client, staff

    with tenant_context(practice_a):
        owing(5000, first_name="Ada", last_name="Zinn", now=timezone.now())  # the run is made now
    client = signed_in_client(staff(practice_a, "biller"), practice_a)
    with TestCase.captureOnCommitCallbacks(execute=True):
        made = client.post("/statements/run/")
    assert made.status_code == 302
    run_page = client.get(made["Location"])
    assert b"Zinn" in run_page.content and b"print.pdf" in run_page.content
    with tenant_context(practice_a):
        run = StatementRun.objects.get()
    batch = client.get(f"/statements/runs/{run.pk}/print.pdf")
    assert batch.status_code == 200 and batch.content.startswith(b"%PDF")
