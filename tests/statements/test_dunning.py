"""Dunning: reminders on the practice's schedule with escalating wording, a final notice, then
collections; every step stops the moment the balance is paid."""

import datetime

import pytest
from django.core import mail

from notifications.delivery import send_due
from notifications.models import Kind, Notification
from practica.patient_billing.models import LedgerEntry
from practica.statements import services
from practica.statements.dunning import run_dunning
from practica.statements.models import PatientAccount, Statement
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.statements.conftest import NOW, owing

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _after(days: int) -> datetime.datetime:
    return NOW + days * DAY


def test_reminders_escalate_then_collections_stops_everything(in_a: Practice) -> None:
    patient = owing(5000, email="gus@example.com")
    services.start_run(now=NOW)
    statement = Statement.objects.get(patient=patient)
    assert statement.next_dunning_at == datetime.datetime(2026, 12, 3, 14, 0, tzinfo=datetime.UTC)

    assert run_dunning(now=_after(29)) == 0
    kinds = []
    for days in (30, 60, 90):
        assert run_dunning(now=_after(days)) == 1
        assert run_dunning(now=_after(days)) == 0  # each step once
        kinds.append(Notification.objects.latest("created_at").kind)
    assert kinds == [Kind.STATEMENT_REMINDER, Kind.STATEMENT_REMINDER, Kind.STATEMENT_FINAL]
    send_due(now=_after(90))
    final = mail.outbox[-1]
    assert "final notice" in final.body.lower() and "$" not in final.body

    assert run_dunning(now=_after(120)) == 1
    statement.refresh_from_db()
    assert statement.status == Statement.Status.COLLECTIONS and statement.next_dunning_at is None
    assert PatientAccount.objects.get(patient=patient).collections_at == _after(120)
    assert services.start_run(now=_after(150)).statement_count == 0  # no statements after collections


def test_the_next_step_does_not_happen_once_the_balance_is_paid(in_a: Practice) -> None:
    patient = owing(5000, email="hal@example.com")
    services.start_run(now=NOW)
    run_dunning(now=_after(30))
    LedgerEntry.objects.create(patient=patient, kind="payment", amount_cents=-5000, posted_at=_after(40))
    assert run_dunning(now=_after(60)) == 1
    statement = Statement.objects.get(patient=patient)
    assert statement.status == Statement.Status.PAID and statement.next_dunning_at is None
    assert Notification.objects.filter(kind=Kind.STATEMENT_REMINDER).count() == 1


def test_a_reminder_planned_before_a_payment_is_not_sent(in_a: Practice) -> None:
    patient = owing(5000, email="ida@example.com")
    services.start_run(now=NOW)
    send_due(now=NOW)
    mail.outbox.clear()
    run_dunning(now=_after(30))
    LedgerEntry.objects.create(patient=patient, kind="payment", amount_cents=-5000, posted_at=_after(30))
    send_due(now=_after(30))
    assert mail.outbox == []
    assert Notification.objects.get(kind=Kind.STATEMENT_REMINDER).error_code == "paid"


def test_staff_send_an_account_to_collections_and_the_chart_says_so(practice_a: Practice) -> None:
    from django_tenants.utils import tenant_context

    with tenant_context(practice_a):
        patient = owing(5000, email="jo@example.com")
        services.start_run(now=NOW)
    client = signed_in_client(staff(practice_a, "biller"), practice_a)
    done = client.post(f"/statements/patients/{patient.pk}/action/", {"action": "collections"})
    assert done.status_code == 302
    with tenant_context(practice_a):
        assert Statement.objects.get(patient=patient).status == Statement.Status.COLLECTIONS
        assert not Notification.objects.filter(state="scheduled").exists()
    chart = client.get(f"/patients/{patient.pk}/")
    assert b"Sent to collections" in chart.content and b"Statement history" in chart.content
    history = client.get(f"/statements/patients/{patient.pk}/")
    assert b"$50.00" in history.content and b"Sent to collections" in history.content
