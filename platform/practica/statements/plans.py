"""Payment plans: what a patient owes split into monthly installments charged to their saved card
on the practice's Connect account. Set up by staff or by the patient in the portal, both within the
practice's limits. Installments are charged by the statements' due work (the public due index
points at the next one); a declined one is retried 3 and 7 days after its due date, then the plan
stops, reminders resume and the patient is told. Each installment paid is a payment on the ledger;
no reminders while a plan is active."""

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
from practica.patient_billing.models import Payment, StripeCustomer
from practica.patient_billing.selectors import balance_cents
from practica.patients.models import Patient
from practica.statements import schedule
from practica.statements.dunning import step_due_at
from practica.statements.errors import StatementError
from practica.statements.models import Installment, PaymentPlan, Statement
from practica.statements.services import current_settings

# A missed installment is tried again this many days after its due date, then the plan stops.
RETRY_AFTER_DAYS = (3, 7)
MAX_ATTEMPTS = 1 + len(RETRY_AFTER_DAYS)
# The first installment may wait at most this long after the plan is set up.
LATEST_START = relativedelta(months=1)


def split(total_cents: int, count: int) -> list[int]:
    """Equal installments, the odd cents on the first ones: [3334, 3333, 3333]."""
    base, extra = divmod(total_cents, count)
    return [base + (1 if n < extra else 0) for n in range(count)]


def _dollars(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def check_terms(
    owed_cents: int, amount_cents: int, count: int, start: datetime.date, today: datetime.date
) -> None:
    """The practice's limits, the same for staff and for the patient in the portal: at most its
    number of monthly installments, none smaller than its smallest installment, no more than is
    owed, and the first due between today and a month from now."""
    settings = current_settings()
    if owed_cents <= 0:
        raise StatementError("There is no balance to pay in installments.")
    if amount_cents <= 0 or amount_cents > owed_cents:
        raise StatementError(
            f"The plan's amount must be more than $0.00 and at most the balance, {_dollars(owed_cents)}."
        )
    if count < 2 or count > settings.plan_max_installments:
        raise StatementError(f"Choose between 2 and {settings.plan_max_installments} installments.")
    if amount_cents // count < settings.plan_min_installment_cents:
        least = _dollars(settings.plan_min_installment_cents)
        raise StatementError(f"Each installment must be at least {least}: choose fewer installments.")
    latest = today + LATEST_START
    if not today <= start <= latest:
        raise StatementError(
            f"The first installment is due between today and {latest:%B} {latest.day}, {latest.year}."
        )


def has_card(patient: Patient) -> bool:
    customer = StripeCustomer.objects.filter(patient=patient).first()
    return customer is not None and customer.has_card and customer.card_consent_at is not None


def active_plan(patient_id: uuid.UUID) -> PaymentPlan | None:
    return PaymentPlan.objects.filter(patient_id=patient_id, status=PaymentPlan.Status.ACTIVE).first()


def create_plan(
    patient: Patient,
    installments: int,
    *,
    by: User | None,
    by_patient: bool,
    amount_cents: int | None = None,
    start_date: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> PaymentPlan:
    """`amount_cents` (the whole balance owed by default) in `installments` monthly parts, the
    first due on `start_date` (today by default: charged at once). One active plan per patient
    (the database has the last word); no reminders meanwhile."""
    now = now or timezone.now()
    today = schedule.local_date(now)
    start = start_date or today
    with transaction.atomic():
        Patient.objects.select_for_update().get(pk=patient.pk)
        owed = balance_cents(patient)
        total = owed if amount_cents is None else amount_cents
        check_terms(owed, total, installments, start, today)
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
        due_dates = [start + relativedelta(months=n) for n in range(installments)]
        Installment.objects.bulk_create(
            Installment(
                plan=plan,
                number=n + 1,
                due_date=due,
                amount_cents=amount,
                next_attempt_at=now if due == today else schedule.at_work_hour(due),
            )
            for n, (due, amount) in enumerate(zip(due_dates, split(total, installments), strict=True))
        )
        Statement.objects.filter(patient=patient, status=Statement.Status.OPEN).update(
            status=Statement.Status.ON_PLAN, next_dunning_at=None
        )
        schedule.note_due(now if start == today else schedule.at_work_hour(start))
    return plan


def cancel_plan(plan: PaymentPlan, *, now: datetime.datetime | None = None) -> None:
    """Staff stop the plan: what is left is owed as before and reminders resume."""
    with transaction.atomic():
        plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status == PaymentPlan.Status.ACTIVE:
            _stop(plan, PaymentPlan.Status.CANCELLED, now or timezone.now())


def _stop(plan: PaymentPlan, status: str, now: datetime.datetime) -> None:
    plan.status = status
    plan.save(update_fields=["status"])
    plan.installments.filter(status=Installment.Status.SCHEDULED).update(
        status=Installment.Status.CANCELLED, next_attempt_at=None
    )
    _off_plan(plan.patient, now)


def _off_plan(patient: Patient, now: datetime.datetime) -> None:
    """The plan has ended (paid off, stopped or cancelled): the patient's latest statement is paid,
    or its reminders resume where they stopped if something is still owed; older ones are replaced."""
    on_plan = Statement.objects.filter(patient_id=patient.pk, status=Statement.Status.ON_PLAN).order_by(
        "-statement_date", "-created_at"
    )
    latest = on_plan.first()
    if latest is None:
        return
    on_plan.exclude(pk=latest.pk).update(status=Statement.Status.SUPERSEDED)
    if balance_cents(patient) <= 0:
        latest.status = Statement.Status.PAID
        latest.next_dunning_at = None
    else:
        latest.status = Statement.Status.OPEN
        step_at = step_due_at(current_settings(), latest, latest.dunning_step)
        latest.next_dunning_at = None if step_at is None else max(now, step_at)
    latest.save(update_fields=["status", "next_dunning_at"])
    if latest.next_dunning_at is not None:
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
        _complete_if_done(plan, now)
        return
    payment_id = uuid.uuid5(installment.pk, str(installment.attempts))
    try:
        payment = payments.charge_card_on_file(
            practice,  # type: ignore[arg-type]
            patient,
            amount,
            payment_id=payment_id,
            description=f"Payment plan installment {installment.number} of {plan.installment_count}",
            purpose=Payment.Purpose.INSTALLMENT,
        )
    except BillingError as error:
        installment.last_error = error.message[:200]
        if installment.attempts < MAX_ATTEMPTS:
            installment.next_attempt_at = _retry_at(installment, now)
            installment.save(update_fields=["last_error", "next_attempt_at"])
            schedule.note_due(installment.next_attempt_at)
            return
        installment.status = Installment.Status.FAILED
        installment.save(update_fields=["last_error", "status"])
        _stop(plan, PaymentPlan.Status.DEFAULTED, now)
        practice_name = connection.tenant.name  # type: ignore[attr-defined]
        # An outbox row of this transaction: the patient's language, no amounts.
        notify_patient(
            patient,
            subject=f"Your payment plan with {practice_name}",
            template="statements/email/plan_stopped.txt",
            context={"practice_name": practice_name, "link": statements_page()},
        )
        return
    installment.status = Installment.Status.PAID
    installment.payment = payment
    installment.paid_at = now
    installment.save(update_fields=["status", "payment", "paid_at", "last_error"])
    _complete_if_done(plan, now)


def _retry_at(installment: Installment, now: datetime.datetime) -> datetime.datetime:
    """The next try of a declined installment: RETRY_AFTER_DAYS after its due date, in office
    hours (a day from now if the worker ran late past that)."""
    days = RETRY_AFTER_DAYS[installment.attempts - 1]
    at = schedule.at_work_hour(installment.due_date + datetime.timedelta(days=days))
    return at if at > now else now + datetime.timedelta(days=1)


def _complete_if_done(plan: PaymentPlan, now: datetime.datetime) -> None:
    if plan.installments.filter(status=Installment.Status.SCHEDULED).exists():
        return
    # Conditional: a plan cancelled by staff meanwhile stays cancelled.
    if PaymentPlan.objects.filter(pk=plan.pk, status=PaymentPlan.Status.ACTIVE).update(
        status=PaymentPlan.Status.COMPLETED
    ):
        _off_plan(plan.patient, now)


def next_installment_at() -> datetime.datetime | None:
    found: datetime.datetime | None = Installment.objects.filter(
        status=Installment.Status.SCHEDULED, next_attempt_at__isnull=False
    ).aggregate(at=Min("next_attempt_at"))["at"]
    return found
