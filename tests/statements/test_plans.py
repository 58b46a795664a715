"""Payment plans: installments charged to the saved card on the practice's Connect account (the
fake Stripe), retried when declined and then stopped with a notice; dunning waits meanwhile."""

import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from notifications.routing.models import AccountEmail
from practica.patient_billing.models import LedgerEntry, StripeCustomer
from practica.patient_billing.selectors import balance_cents
from practica.patients.models import Patient
from practica.statements import plans, services
from practica.statements.dunning import run_dunning
from practica.statements.errors import StatementError
from practica.statements.models import Installment, PaymentPlan, Statement
from tenants.models import Practice
from tests.billing.fake_stripe import FakeStripe
from tests.conftest import signed_in_client, staff
from tests.portal.conftest import make_account, portal_client
from tests.statements.conftest import owing

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def _with_card(patient: Patient, method: str = "pm_saved") -> None:
    StripeCustomer.objects.create(
        patient=patient, stripe_customer=f"cus_{patient.pk.hex[:10]}", card_payment_method=method,
        card_consent_at=timezone.now(),
    )  # fmt: skip


def test_installments_are_charged_to_the_card_and_posted_to_the_ledger(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    now = timezone.now()
    with tenant_context(connected):
        patient = owing(9001, now=now, email="kit@example.com")
        services.start_run(now=now)
        _with_card(patient)
        with pytest.raises(StatementError, match="at least"):
            plans.create_plan(patient, 4, by=None, by_patient=True, now=now)  # 22.50 < the 25.00 minimum
        plan = plans.create_plan(patient, 3, by=None, by_patient=True, now=now)
        assert [i.amount_cents for i in plan.installments.all()] == [3001, 3000, 3000]
        assert Statement.objects.get(patient=patient).status == Statement.Status.ON_PLAN
        with pytest.raises(StatementError, match="already"):
            plans.create_plan(patient, 2, by=None, by_patient=False, now=now)

        assert plans.charge_due_installments(now) == 1
        assert plans.charge_due_installments(now) == 0  # charged once
        charge = fake_stripe.last("POST", "/v1/payment_intents")
        assert charge.stripe_account == connected.stripe_account_id
        assert charge.params["amount"] == "3001" and charge.params["off_session"] == "true"
        assert balance_cents(patient) == 6000
        assert LedgerEntry.objects.filter(patient=patient, kind="payment", amount_cents=-3001).exists()
        assert run_dunning(now=now + 31 * DAY) == 0  # no reminders while on the plan

        later = timezone.now() + 62 * DAY
        assert plans.charge_due_installments(later) == 2
        plan.refresh_from_db()
        assert plan.status == PaymentPlan.Status.COMPLETED and balance_cents(patient) == 0


def test_a_declined_installment_is_retried_then_the_plan_stops_and_the_patient_is_told(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    now = timezone.now()
    with tenant_context(connected):
        patient = owing(6000, now=now, email="lou@example.com")
        services.start_run(now=now)
        _with_card(patient, "pm_declines")
        fake_stripe.declining_payment_methods.add("pm_declines")
        plan = plans.create_plan(patient, 2, by=None, by_patient=False, now=now)
        for attempt in range(3):
            assert plans.charge_due_installments(now + attempt * 3 * DAY) == 1
        first = plan.installments.get(number=1)
        assert first.status == Installment.Status.FAILED and first.attempts == 3
        assert "declined" in first.last_error
        plan.refresh_from_db()
        assert plan.status == PaymentPlan.Status.DEFAULTED
        statement = Statement.objects.get(patient=patient)
        assert statement.status == Statement.Status.OPEN and statement.next_dunning_at is not None
    email = AccountEmail.objects.get(to_address="lou@example.com")
    assert "payment plan" in email.body and "$" not in email.body


def test_the_patient_sets_up_a_plan_in_the_portal_and_staff_see_it_on_the_ledger(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    with tenant_context(connected):
        account = make_account("max@example.com", first_name="Max")
        LedgerEntry.objects.create(patient=account.patient, kind="charge", amount_cents=10000)
    client = portal_client(account, connected)
    page = client.get("/portal/statements/plan/")
    assert page.status_code == 200 and b"Save a card" in page.content
    go = client.post("/portal/statements/plan/", {"action": "card", "consent": "on"})
    assert go.status_code == 302
    assert fake_stripe.last("POST", "/v1/checkout/sessions").params["mode"] == "setup"
    with tenant_context(connected):
        StripeCustomer.objects.filter(patient=account.patient).update(card_payment_method="pm_saved")
    choose = client.get("/portal/statements/plan/")
    assert b"4 payments of about $25.00" in choose.content and b"5 payments" not in choose.content
    assert client.post("/portal/statements/plan/", {"installments": "9"}).status_code == 400
    assert client.post("/portal/statements/plan/", {"installments": "4"}).status_code == 302
    with tenant_context(connected):
        plan = PaymentPlan.objects.get(patient=account.patient)
        assert plan.set_up_by_patient and plan.installment_count == 4
    shown = client.get("/portal/statements/plan/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "en 4 pagos mensuales" in shown or "in 4 monthly payments" in shown
    biller = signed_in_client(staff(connected, "biller"), connected)
    ledger = biller.get(f"/billing/patients/{account.patient.pk}/")
    assert b"Payment plans" in ledger.content and b"in 4 installments" in ledger.content
