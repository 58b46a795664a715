"""Deposits (or copays) taken when a patient books an appointment type that asks for one.

The appointment keeps its slot while the deposit is being paid; if the payment has not succeeded
when the hold expires, the appointment is cancelled and Stripe's payment page is closed."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from practica.patient_billing.models import DepositHold, Payment
from practica.patient_billing.payments import start_payment_checkout
from practica.scheduling.booking import cancel_appointment
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tenants.stripe_gateway import stripe_client

log = logging.getLogger(__name__)


def deposit_due_cents(appointment: Appointment) -> int:
    return appointment.appointment_type.deposit_cents


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
        DepositHold.objects.create(
            appointment=appointment,
            payment=payment,
            hold_expires_at=timezone.now() + datetime.timedelta(minutes=settings.DEPOSIT_HOLD_MINUTES),
        )
    return url


def deposit_paid(payment: Payment) -> None:
    """The deposit's payment succeeded: the hold is over (the payment itself posts to the ledger)."""
    DepositHold.objects.filter(payment=payment, state=DepositHold.State.HELD).update(
        state=DepositHold.State.PAID
    )


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
