"""Payment plans: the balance owed split into monthly installments charged to the patient's saved
card on the practice's Connect account. Set up by staff, or by the patient in the portal within
the practice's limits. A declined installment is retried, then the patient is told and the plan
stops (dunning resumes). Each installment paid is a payment on the ledger."""

import datetime
import uuid

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, connection, transaction
from django.db.models import Min
from django.utils import timezone

from notifications.links import statements_page
from notifications.services import notify_patient
from practica.accounts.models import User
from practica.patient_billing import payments
from practica.patient_billing.errors import BillingError
from practica.patient_billing.models import StripeCustomer
from practica.patient_billing.selectors import balance_cents
from practica.patients.models import Patient
from practica.statements import schedule
from practica.statements.dunning import step_due_at
from practica.statements.errors import StatementError
from practica.statements.models import Installment, PaymentPlan, Statement
from practica.statements.services import current_settings

# A declined installment is tried again this many days later, this many times in all.
RETRY_DAYS = 3
MAX_ATTEMPTS = 3
STAFF_MAX_INSTALLMENTS = 36


def split(total_cents: int, count: int) -> list[int]:
    """Equal installments, the odd cents on the first ones: [3334, 3333, 3333]."""
    base, extra = divmod(total_cents, count)
    return [base + (1 if n < extra else 0) for n in range(count)]


def check_terms(total_cents: int, count: int, *, by_patient: bool) -> None:
    settings = current_settings()
    most = settings.plan_max_installments if by_patient else STAFF_MAX_INSTALLMENTS
    if total_cents <= 0:
        raise StatementError("There is no balance to pay in installments.")
    if count < 2 or count > most:
        raise StatementError(f"Choose between 2 and {most} installments.")
    if by_patient and total_cents // count < settings.plan_min_installment_cents:
        least = f"${settings.plan_min_installment_cents / 100:,.2f}"
        raise StatementError(f"Each installment must be at least {least}: choose fewer installments.")


def has_card(patient: Patient) -> bool:
    customer = StripeCustomer.objects.filter(patient=patient).first()
    return customer is not None and customer.has_card and customer.card_consent_at is not None


def create_plan(
    patient: Patient,
    installments: int,
    *,
    by: User | None,
    by_patient: bool,
    now: datetime.datetime | None = None,
) -> PaymentPlan:
    """The whole balance owed today, in `installments` monthly parts, the first charged today.
    One active plan per patient (the database has the last word); dunning stops meanwhile."""
    now = now or timezone.now()
    with transaction.atomic():
        Patient.objects.select_for_update().get(pk=patient.pk)
        total = balance_cents(patient)
        check_terms(total, installments, by_patient=by_patient)
        if not has_card(patient):
            raise StatementError("A card must be saved first: installments are charged to it.")
        try:
            with transaction.atomic():
                plan = PaymentPlan.objects.create(
                    patient=patient,
                    total_cents=total,
                    installment_count=installments,
                    set_up_by_patient=by_patient,
                    created_by=by,
                )
        except IntegrityError as error:
            raise StatementError("This patient already has a payment plan.") from error
        today = schedule.local_date(now)
        Installment.objects.bulk_create(
            Installment(
                plan=plan,
                number=n + 1,
                due_date=today + relativedelta(months=n),
                amount_cents=amount,
                next_attempt_at=now if n == 0 else schedule.at_work_hour(today + relativedelta(months=n)),
            )
            for n, amount in enumerate(split(total, installments))
        )
        Statement.objects.filter(patient=patient, status=Statement.Status.OPEN).update(
            status=Statement.Status.ON_PLAN, next_dunning_at=None
        )
        schedule.note_due(now)
    return plan


def cancel_plan(plan: PaymentPlan) -> None:
    with transaction.atomic():
        _stop(plan, PaymentPlan.Status.CANCELLED, timezone.now())


def _stop(plan: PaymentPlan, status: str, now: datetime.datetime) -> None:
    """The plan ends without being paid off: what is left is owed as before, and dunning resumes
    on the patient's latest statement."""
    plan.status = status
    plan.save(update_fields=["status"])
    plan.installments.filter(status=Installment.Status.SCHEDULED).update(
        status=Installment.Status.CANCELLED, next_attempt_at=None
    )
    latest = (
        Statement.objects.filter(patient_id=plan.patient_id, status=Statement.Status.ON_PLAN)
        .order_by("-statement_date")
        .first()
    )
    if latest is not None and balance_cents(plan.patient) > 0:
        latest.status = Statement.Status.OPEN
        latest.next_dunning_at = max(now, step_due_at(current_settings(), latest, latest.dunning_step) or now)
        latest.save(update_fields=["status", "next_dunning_at"])
        schedule.note_due(latest.next_dunning_at)


def charge_due_installments(now: datetime.datetime | None = None) -> int:
    """Charge every installment due; returns how many were tried. Each is claimed with FOR
    UPDATE SKIP LOCKED and its attempt counted before Stripe is called, so two workers never
    charge it twice (the payment's id, fixed per attempt, is Stripe's idempotency key too)."""
    now = now or timezone.now()
    practice = connection.tenant  # type: ignore[attr-defined]
    tried = 0
    while True:
        with transaction.atomic():
            installment = (
                Installment.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=Installment.Status.SCHEDULED, next_attempt_at__lte=now)
                .select_related("plan__patient")
                .order_by("next_attempt_at")
                .first()
            )
            if installment is None:
                return tried
            installment.attempts += 1
            installment.next_attempt_at = None
            installment.save(update_fields=["attempts", "next_attempt_at"])
            _charge(practice, installment, now)
        tried += 1


def _charge(practice: object, installment: Installment, now: datetime.datetime) -> None:
    plan = installment.plan
    patient = plan.patient
    owed = balance_cents(patient)
    amount = min(installment.amount_cents, owed)
    if amount <= 0:
        installment.status = Installment.Status.CANCELLED
        installment.save(update_fields=["status"])
        _complete_if_done(plan)
        return
    payment_id = uuid.uuid5(installment.pk, str(installment.attempts))
    try:
        payment = payments.charge_card_on_file(
            practice,  # type: ignore[arg-type]
            patient,
            amount,
            payment_id=payment_id,
            description=f"Payment plan installment {installment.number} of {plan.installment_count}",
        )
    except BillingError as error:
        installment.last_error = error.message[:200]
        if installment.attempts < MAX_ATTEMPTS:
            installment.next_attempt_at = now + datetime.timedelta(days=RETRY_DAYS)
            installment.save(update_fields=["last_error", "next_attempt_at"])
            schedule.note_due(installment.next_attempt_at)
            return
        installment.status = Installment.Status.FAILED
        installment.save(update_fields=["last_error", "status"])
        _stop(plan, PaymentPlan.Status.DEFAULTED, now)
        notify_patient(
            patient,
            subject=f"Your payment plan with {connection.tenant.name}",  # type: ignore[attr-defined]
            template="statements/email/plan_stopped.txt",
            context={"practice_name": connection.tenant.name, "link": statements_page()},  # type: ignore[attr-defined]
        )
        return
    installment.status = Installment.Status.PAID
    installment.payment = payment
    installment.paid_at = now
    installment.save(update_fields=["status", "payment", "paid_at", "last_error"])
    _complete_if_done(plan)


def _complete_if_done(plan: PaymentPlan) -> None:
    if not plan.installments.filter(status=Installment.Status.SCHEDULED).exists():
        plan.status = PaymentPlan.Status.COMPLETED
        plan.save(update_fields=["status"])


def next_installment_at() -> datetime.datetime | None:
    found: datetime.datetime | None = Installment.objects.filter(
        status=Installment.Status.SCHEDULED, next_attempt_at__isnull=False
    ).aggregate(at=Min("next_attempt_at"))["at"]
    return found
