"""Payment plans: installments charged to the saved card on the practice's Connect account (the
fake Stripe), retried when declined and then stopped with a notice; dunning waits meanwhile."""

import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from notifications.routing.models import AccountEmail
from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.patient_billing.models import LedgerEntry, StripeCustomer
from practica.patient_billing.selectors import balance_cents
from practica.patients.models import Patient
from practica.statements import plans, schedule, services
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

        later = timezone.now() + 63 * DAY  # past the third due date at any hour
        assert plans.charge_due_installments(later) == 2
        plan.refresh_from_db()
        assert plan.status == PaymentPlan.Status.COMPLETED and balance_cents(patient) == 0


def test_a_declined_installment_is_retried_after_3_and_7_days_then_the_plan_stops_and_the_patient_is_told(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    now = timezone.now()
    with tenant_context(connected):
        patient = owing(6000, now=now, email="lou@example.com")
        services.start_run(now=now)
        _with_card(patient, "pm_declines")
        fake_stripe.declining_payment_methods.add("pm_declines")
        plan = plans.create_plan(patient, 2, by=None, by_patient=False, now=now)
        due = plan.installments.get(number=1).due_date
        tries = [now]
        for days in (3, 7):
            assert plans.charge_due_installments(tries[-1]) == 1
            retry = plans.next_installment_at()
            assert retry == schedule.at_work_hour(due + days * DAY)
            assert plans.charge_due_installments(retry - datetime.timedelta(minutes=1)) == 0
            tries.append(retry)
        assert (
            AccountEmail.objects.filter(to_address="lou@example.com").count() == 0
        )  # not before the last try
        assert plans.charge_due_installments(tries[-1]) == 1
        first = plan.installments.get(number=1)
        assert first.status == Installment.Status.FAILED and first.attempts == 3
        assert "declined" in first.last_error
        assert plan.installments.get(number=2).status == Installment.Status.CANCELLED
        plan.refresh_from_db()
        assert plan.status == PaymentPlan.Status.DEFAULTED
        statement = Statement.objects.get(patient=patient)
        assert statement.status == Statement.Status.OPEN and statement.next_dunning_at is not None
        assert plans.next_installment_at() is None
    email = AccountEmail.objects.get(to_address="lou@example.com")
    assert "payment plan" in email.body and "$" not in email.body
    assert not {"visit", "diagnosis", "treatment"} & set(email.body.lower().split())


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


def test_staff_set_up_a_plan_for_part_of_the_balance_from_a_later_date_within_the_practices_limits(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    now = timezone.now()
    with tenant_context(connected):
        patient = owing(30000, now=now)
        _with_card(patient)
        today = schedule.local_date(now)
    biller = staff(connected, "biller")
    client = signed_in_client(biller, connected)
    url = f"/statements/patients/{patient.pk}/action/"
    start = today + 10 * DAY
    terms = {"action": "plan", "amount": "200.00", "installments": "4", "start_date": start.isoformat()}
    refused = [
        ({"installments": "7"}, b"between 2 and 6 installments"),  # the practice allows 6
        ({"amount": "80.00"}, b"at least $25.00"),  # 4 x 20.00
        ({"amount": "300.01"}, b"at most the balance, $300.00"),
        ({"start_date": (today + 40 * DAY).isoformat()}, b"The first installment is due between today and"),
        ({"start_date": (today - DAY).isoformat()}, b"The first installment is due between today and"),
        ({"installments": "two"}, b"Enter a whole number"),
        ({"amount": ""}, b"This field is required"),
    ]
    for change, message in refused:
        page = client.post(url, {**terms, **change})
        assert page.status_code == 400 and message in page.content, change
    with tenant_context(connected):
        assert not PaymentPlan.objects.exists()

    assert client.post(url, terms).status_code == 302
    with tenant_context(connected):
        plan = PaymentPlan.objects.get(patient=patient)
        assert plan.total_cents == 20000 and not plan.set_up_by_patient and plan.created_by == biller
        installments = list(plan.installments.all())
        assert [i.amount_cents for i in installments] == [5000] * 4
        assert [i.due_date.month for i in installments] == [(start.month + n - 1) % 12 + 1 for n in range(4)]
        assert installments[0].next_attempt_at == schedule.at_work_hour(start)
        assert plans.charge_due_installments(now) == 0  # nothing charged before the start date
        created = AuditEvent.objects.get(object_type="statements.paymentplan", object_id=str(plan.pk))
        assert created.action == "create" and created.actor_email == biller.email
    again = client.post(url, terms)
    assert again.status_code == 400 and b"already has a payment plan" in again.content
    page = client.get(f"/statements/patients/{patient.pk}/")
    assert b"Cancel the active payment plan" in page.content and b"$200.00 in 4 installments" in page.content
    assert client.post(url, {"action": "cancel_plan"}).status_code == 302
    with tenant_context(connected):
        plan.refresh_from_db()
        assert plan.status == PaymentPlan.Status.CANCELLED
        assert not plan.installments.filter(status=Installment.Status.SCHEDULED).exists()
    desk = signed_in_client(staff(connected, Role.FRONT_DESK), connected)
    assert desk.post(url, terms).status_code == 403


def test_the_tick_charges_installments_through_the_due_index_and_they_show_on_the_ledger(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    from practica.statements.due.models import StatementDueWork
    from practica.statements.tasks import due_practices
    from practica.statements.work import run_due_work

    now = timezone.now()
    with tenant_context(connected):
        patient = owing(9000, now=now)
        _with_card(patient)
        start = schedule.local_date(now) + 5 * DAY
        plan = plans.create_plan(patient, 3, by=None, by_patient=False, start_date=start, now=now)
        first_at = schedule.at_work_hour(start)
        assert StatementDueWork.objects.get(practice=connected).next_due_at == first_at
    assert connected.schema_name not in due_practices(now=first_at - datetime.timedelta(minutes=1))
    assert connected.schema_name in due_practices(now=first_at)
    with tenant_context(connected):
        assert run_due_work(now=first_at) == 2  # November's statements, then the installment
        statement = Statement.objects.get(patient=patient)
        assert statement.status == Statement.Status.ON_PLAN and statement.next_dunning_at is None
        assert balance_cents(patient) == 6000
        second_at = schedule.at_work_hour(plan.installments.get(number=2).due_date)
        assert first_at < StatementDueWork.objects.get(practice=connected).next_due_at <= second_at  # type: ignore[operator]
        entry = LedgerEntry.objects.get(patient=patient, kind="payment")
        assert entry.amount_cents == -3000 and "Payment plan installment" in entry.memo
    biller = signed_in_client(staff(connected, "biller"), connected)
    ledger = biller.get(f"/billing/patients/{patient.pk}/").content.decode()
    assert "$90.00 in 3 installments: Active" in ledger
    assert ledger.count("<td>Scheduled</td>") == 2 and ledger.count("<td>Paid</td>") == 1


def test_statements_made_during_a_plan_send_no_reminders_and_the_end_of_the_plan_settles_them(
    fake_stripe: FakeStripe, connected: Practice
) -> None:
    now = timezone.now()
    with tenant_context(connected):
        patient = owing(6000, now=now, email="ned@example.com")
        services.start_run(now=now)
        _with_card(patient)
        plan = plans.create_plan(patient, 2, by=None, by_patient=False, now=now)
        assert plans.charge_due_installments(now) == 1
        later = now + 35 * DAY  # next month's statement, while the plan lasts
        services.start_run(now=later)
        statuses = dict(Statement.objects.filter(patient=patient).values_list("period", "status"))
        assert sorted(statuses.values()) == [Statement.Status.ON_PLAN, Statement.Status.SUPERSEDED]
        assert not Statement.objects.filter(patient=patient, next_dunning_at__isnull=False).exists()
        assert run_dunning(now=later + 100 * DAY) == 0
        assert plans.charge_due_installments(later) == 1
        plan.refresh_from_db()
        assert plan.status == PaymentPlan.Status.COMPLETED and balance_cents(patient) == 0
        assert set(Statement.objects.filter(patient=patient).values_list("status", flat=True)) == {
            Statement.Status.PAID,
            Statement.Status.SUPERSEDED,
        }
