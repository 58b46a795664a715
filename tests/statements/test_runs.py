"""Statement runs: one statement per patient owing the minimum, aged, idempotent per period."""

import datetime
import io

import pytest
from django.db import IntegrityError, transaction
from django.test import TestCase
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from practica.patient_billing.models import LedgerEntry, PayLink
from practica.statements import rendering, services
from practica.statements.aging import Aging, age
from practica.statements.models import PatientAccount, Statement, StatementRun
from tenants.models import Practice
from tests.statements.conftest import NOW, owing

pytestmark = pytest.mark.django_db


def test_aging_settles_the_oldest_charges_first() -> None:
    day = datetime.date(2026, 11, 3)
    entries = [
        (day - datetime.timedelta(days=100), 5000),  # over 90, half paid
        (day - datetime.timedelta(days=45), 2000),  # 31-60
        (day - datetime.timedelta(days=2), -2500),  # a payment
        (day, 1000),  # current
    ]
    assert age(entries, day) == Aging(current=1000, days_31_60=2000, days_61_90=0, over_90=2500)
    assert age([(day, 1000), (day, -3000)], day).total == 0


def test_a_run_makes_one_statement_per_patient_owing_the_minimum(in_a: Practice) -> None:
    settings = services.current_settings()
    settings.minimum_balance_cents = 1000
    settings.save()
    old = owing([(75, 8000), (10, -3000), (3, 1500)])
    small = owing(999)
    paid = owing([(20, 4000), (1, -4000)])
    exact = owing(1000)

    with TestCase.captureOnCommitCallbacks() as queued:
        run = services.start_run(now=NOW)
    assert len(queued) == 1  # PDFs are rendered by Celery after the commit, not here
    statements = {s.patient_id: s for s in Statement.objects.filter(run=run)}
    assert set(statements) == {old.pk, exact.pk}
    assert small.pk not in statements and paid.pk not in statements
    first = statements[old.pk]
    assert first.amount_due_cents == 6500 and first.period == datetime.date(2026, 11, 1)
    assert first.statement_date == datetime.date(2026, 11, 3)
    assert first.due_date == datetime.date(2026, 11, 24)
    assert (first.aging_current_cents, first.aging_61_90_cents) == (1500, 5000)
    run.refresh_from_db()
    assert (run.statement_count, run.total_cents) == (2, 7500)


def test_a_rerun_of_the_period_makes_no_second_statement(in_a: Practice) -> None:
    patient = owing(5000)
    first = services.start_run(now=NOW)
    LedgerEntry.objects.create(patient=patient, kind="charge", amount_cents=700, posted_at=NOW)
    later = owing(2000)
    again = services.start_run(now=NOW + datetime.timedelta(days=2))
    assert Statement.objects.filter(patient=patient).count() == 1
    assert list(Statement.objects.filter(run=again).values_list("patient_id", flat=True)) == [later.pk]
    assert Statement.objects.get(run=first).amount_due_cents == 5000
    # The database itself refuses a second statement for the same patient and period.
    with pytest.raises(IntegrityError), transaction.atomic():
        existing = Statement.objects.get(patient=patient)
        Statement.objects.create(
            run=again, patient=patient, period=existing.period, statement_date=existing.statement_date,
            due_date=existing.due_date, cutoff=NOW, amount_due_cents=1,
        )  # fmt: skip


def test_patients_in_collections_get_no_statement(in_a: Practice) -> None:
    patient = owing(5000)
    PatientAccount.objects.create(patient=patient, collections_at=NOW)
    run = services.start_run(now=NOW)
    assert run.statement_count == 0


def test_next_month_shows_only_what_was_posted_since(in_a: Practice) -> None:
    patient = owing([(5, 4000)])
    services.start_run(now=NOW)
    LedgerEntry.objects.create(
        patient=patient, kind="payment", amount_cents=-1000, posted_at=NOW + datetime.timedelta(days=3)
    )
    december = NOW + datetime.timedelta(days=30)
    run = services.start_run(now=december)
    statement = Statement.objects.get(run=run)
    assert statement.previous_balance_cents == 4000 and statement.amount_due_cents == 3000
    assert [e.amount_cents for e in rendering.lines.entries_for(statement)] == [-1000]
    assert Statement.objects.get(period=datetime.date(2026, 11, 1)).status == Statement.Status.SUPERSEDED


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_has_the_amount_aging_pay_link_and_address(in_a: Practice) -> None:
    settings = services.current_settings()
    settings.remit_to = "Alpha Clinic Billing\nPO Box 42\nSpringfield, IL 62701"
    settings.save()
    patient = owing([(40, 12000), (2, 3456)], first_name="Ione", last_name="Vantablack")
    run = services.start_run(now=NOW)
    statement = Statement.objects.get(run=run)
    assert rendering.render([statement.pk], now=NOW) == 1
    assert rendering.render([statement.pk], now=NOW) == 0  # rendered once
    statement.refresh_from_db()
    assert statement.rendered_at == NOW and (statement.pdf.name or "").startswith("statements/")
    assert in_a.schema_name in statement.pdf.path  # the practice's own folder
    link = PayLink.objects.get(pk=str(statement.pay_link_id))
    assert link.patient_id == patient.pk and link.amount_cents == 15456
    text = _text(rendering.pdf_bytes(statement))
    for expected in ("Alpha Clinic", "Ione Vantablack", "12 Elm Street", "$154.56", "$120.00", "$34.56",
                     "PO Box 42", statement.reference, "/pay/", "Nov. 24, 2026"):  # fmt: skip
        assert expected in text, expected


def test_the_monthly_run_comes_on_the_cycle_day_once(in_a: Practice) -> None:
    from practica.statements.due.models import StatementDueWork
    from practica.statements.work import run_due_work

    owing(5000)
    settings = services.current_settings()
    settings.cycle_day = 3
    services.save_settings(settings, now=NOW - datetime.timedelta(days=3))
    due = StatementDueWork.objects.get(practice=in_a)
    assert due.next_due_at == datetime.datetime(2026, 11, 3, 14, 0, tzinfo=datetime.UTC)  # 9:00 EST

    assert run_due_work(now=NOW - datetime.timedelta(days=1)) == 0
    assert run_due_work(now=NOW) == 1
    assert run_due_work(now=NOW + datetime.timedelta(hours=1)) == 0
    assert StatementRun.objects.filter(trigger="scheduled").count() == 1
    due.refresh_from_db()
    # Next: the first dunning step (30 days) comes before December's run.
    assert due.next_due_at is not None and due.next_due_at <= datetime.datetime(
        2026, 12, 3, 14, 0, tzinfo=datetime.UTC
    )


def test_the_tick_hands_out_practices_with_work_due_once_per_lease(practice_a: Practice) -> None:
    from practica.statements.tasks import due_practices

    with tenant_context(practice_a):
        services.save_settings(services.current_settings(), now=NOW)
    # Other practices' rows (committed by browser tests) may be in the index too: only A's are checked.
    assert practice_a.schema_name not in due_practices(now=NOW)
    later = NOW + datetime.timedelta(days=40)
    assert practice_a.schema_name in due_practices(now=later)
    assert practice_a.schema_name not in due_practices(now=later)
