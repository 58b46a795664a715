"""Deposits taken when a patient books, in the portal, an appointment type that asks for one.

book_with_deposit books the slot unconfirmed (Appointment.awaiting_deposit: nothing is sent to
the patient) and opens Stripe Checkout on the practice's connected account, in one transaction: if
Stripe refuses, nothing is booked. The payment's webhook confirms the booking (its confirmation and
reminders are planned then); if it has not succeeded when the hold expires, the appointment is
cancelled, its time offered to the waitlist, and Stripe's payment page closed.

Staff (back office, API) book without a hold: the front desk waives the deposit or takes it as it
sees fit (a pay link, the card on file). Waitlist claims are not held either."""

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from practica.patient_billing.models import DepositHold, Payment
from practica.patient_billing.payments import start_payment_checkout
from practica.patients.models import Patient
from practica.scheduling.booking import Booking, book_appointment, cancel_appointment, deposit_received
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from tenants.models import Practice
from tenants.stripe_gateway import stripe_client

log = logging.getLogger(__name__)


def deposit_due_cents(appointment: Appointment) -> int:
    return appointment.appointment_type.deposit_cents


def book_with_deposit(
    practice: Practice,
    *,
    patient: Patient,
    appointment_type: AppointmentType,
    provider: Provider,
    location: Location,
    start: datetime.datetime,
    return_url: Callable[[Appointment], str],
) -> tuple[Booking, str | None]:
    """A patient's own booking (source portal). When the type asks for a deposit, the slot is held
    and Stripe's payment page URL returned (`return_url(appointment)` is where Stripe sends the
    patient back, paid or not); otherwise the URL is None and the booking is confirmed as usual.

    Raises SchedulingError (the slot or a rule), BillingError (the practice takes no card
    payments) or stripe.StripeError; in each case nothing is booked."""
    deposit = appointment_type.deposit_cents > 0
    with transaction.atomic():
        booking = book_appointment(
            patient=patient,
            appointment_type=appointment_type,
            provider=provider,
            location=location,
            start=start,
            source=Appointment.Source.PORTAL,
            awaiting_deposit=deposit,
        )
        if not deposit:
            return booking, None
        back = return_url(booking.appointment)
        url = hold_for_deposit(practice, booking.appointment, success_url=back, cancel_url=back)
    return booking, url


def hold_for_deposit(
    practice: Practice, appointment: Appointment, *, success_url: str, cancel_url: str
) -> str | None:
    """Start paying the deposit for a just-booked appointment; returns Stripe's page URL, or None
    when the appointment type asks for no deposit."""
    amount = deposit_due_cents(appointment)
    if amount == 0:
        return None
    with transaction.atomic():
        payment, url = start_payment_checkout(
            practice,
            appointment.patient,
            amount,
            purpose=Payment.Purpose.DEPOSIT,
            success_url=success_url,
            cancel_url=cancel_url,
            location=appointment.location,
        )
        hold = DepositHold.objects.create(
            appointment=appointment,
            payment=payment,
            hold_expires_at=timezone.now() + datetime.timedelta(minutes=settings.DEPOSIT_HOLD_MINUTES),
        )
        transaction.on_commit(lambda: _release_when_due(practice, hold))
    return url


def _release_when_due(practice: Practice, hold: DepositHold) -> None:
    from practica.patient_billing.tasks import release_practice_deposit_holds

    # Due at the hold's end; the beat's sweep catches a task lost on the way (a broker restart).
    release_practice_deposit_holds.apply_async(args=[practice.pk], eta=hold.hold_expires_at)


def deposit_payment_url(practice: Practice, appointment: Appointment) -> str | None:
    """Stripe's page for a held booking's deposit, to go back to (the patient left it unpaid), or
    None when the booking is not held any more or the page is closed."""
    hold = (
        DepositHold.objects.filter(
            appointment=appointment, state=DepositHold.State.HELD, hold_expires_at__gt=timezone.now()
        )
        .select_related("payment")
        .first()
    )
    if hold is None or not hold.payment.stripe_checkout_session or not practice.stripe_account_id:
        return None
    session = stripe_client().v1.checkout.sessions.retrieve(
        hold.payment.stripe_checkout_session, options={"stripe_account": practice.stripe_account_id}
    )
    return session.url if session.status == "open" else None


def deposit_paid(payment: Payment) -> None:
    """The deposit's payment succeeded: the hold is over and the booking confirmed (the payment
    itself posts to the ledger). A hold already released (paid too late) stays released: the
    appointment stays cancelled and the money is a credit on the patient's account."""
    hold = DepositHold.objects.filter(payment=payment).select_related("appointment").first()
    if hold is None:
        return
    paid = DepositHold.objects.filter(pk=hold.pk, state=DepositHold.State.HELD).update(
        state=DepositHold.State.PAID
    )
    if paid:
        deposit_received(hold.appointment)


def release_expired_holds(practice: Practice, now: datetime.datetime | None = None) -> int:
    """Cancel appointments whose deposit was not paid in time. Each hold is claimed with a
    conditional UPDATE (held -> released), so a payment succeeding at the same moment either
    marks it paid first (and it is kept) or finds it released (the money stays as a credit)."""
    now = now or timezone.now()
    released = 0
    expired = DepositHold.objects.filter(state=DepositHold.State.HELD, hold_expires_at__lte=now)
    for hold in expired.select_related("appointment", "payment"):
        claimed = DepositHold.objects.filter(pk=hold.pk, state=DepositHold.State.HELD).update(
            state=DepositHold.State.RELEASED
        )
        if not claimed:
            continue
        if hold.appointment.is_active:
            cancel_appointment(hold.appointment, by_patient=False, reason="Deposit not paid in time")
        if hold.payment.stripe_checkout_session and practice.stripe_account_id:
            try:
                stripe_client().v1.checkout.sessions.expire(
                    hold.payment.stripe_checkout_session,
                    options={"stripe_account": practice.stripe_account_id},
                )
            except Exception:  # the page may already be closed; the hold is released either way
                log.warning(
                    "Could not expire Checkout Session for deposit %s", hold.payment.pk, exc_info=True
                )
        released += 1
    return released
