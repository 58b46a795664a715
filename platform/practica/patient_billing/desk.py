"""Money at the front desk: what a patient owes at check-in, and payments taken by cash, check or
card (Stripe Checkout on the practice's account, on a tablet or the patient's phone).

Every write is a ledger entry posted here, in the same transaction as the check-in it goes with;
the audit trail records each with its actor (database triggers)."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from notifications.services import notify_patient
from practica.accounts.models import User
from practica.eligibility.models import Status as EligibilityStatus
from practica.eligibility.selectors import latest_check
from practica.insurance.selectors import coverage_on
from practica.patient_billing.errors import BillingError
from practica.patient_billing.ledger import check_amount, post_entry
from practica.patient_billing.models import LedgerEntry, Payment
from practica.patient_billing.payments import start_payment_checkout
from practica.patient_billing.selectors import balance_cents
from practica.patients.models import Patient
from practica.scheduling.booking import set_status
from practica.scheduling.models import Appointment, Location
from tenants.models import Practice

Method = LedgerEntry.Method
# What the desk takes itself; card payments go through Stripe (start_card_payment).
DESK_METHODS = (Method.CASH, Method.CHECK)


def takes_cards(practice: Practice) -> bool:
    """Whether card payments can work: the practice's Connect account exists and may charge."""
    return bool(practice.stripe_account_id and practice.connect_charges_enabled)


@dataclass(frozen=True)
class DueAtCheckIn:
    copay_cents: int | None  # None: the primary coverage names no copay (or there is no coverage)
    past_balance_cents: int  # the ledger's balance (negative: a credit)
    paid_for_visit_cents: int  # already taken for this appointment
    # When the copay is the payer's own (its latest eligibility answer was active and named one).
    copay_checked_at: datetime.datetime | None = None

    @property
    def copay_left_cents(self) -> int:
        return max((self.copay_cents or 0) - self.paid_for_visit_cents, 0)

    @property
    def suggested_cents(self) -> int:
        """The copay still to take plus what was owed before; never below zero."""
        return max(self.copay_left_cents + max(self.past_balance_cents, 0), 0)


def due_at_check_in(appointment: Appointment) -> DueAtCheckIn:
    """Copay from the payer's latest eligibility answer for the primary coverage in force on the
    visit's day (if it was active and named one), else the copay kept on the coverage; and the
    balance from the ledger."""
    day = timezone.localtime(appointment.start).date()
    coverage = coverage_on(appointment.patient_id, day)
    copay = coverage.copay_cents if coverage is not None else None
    checked_at = None
    answer = latest_check(coverage.pk) if coverage is not None else None
    if answer is not None and answer.status == EligibilityStatus.ACTIVE and answer.copay_cents is not None:
        copay, checked_at = answer.copay_cents, answer.completed_at
    paid = sum(
        -amount
        for amount in LedgerEntry.objects.filter(
            appointment=appointment, kind=LedgerEntry.Kind.PAYMENT
        ).values_list("amount_cents", flat=True)
    )
    return DueAtCheckIn(
        copay_cents=copay,
        past_balance_cents=balance_cents(appointment.patient),
        paid_for_visit_cents=paid,
        copay_checked_at=checked_at,
    )


def take_payment(
    patient: Patient,
    amount_cents: int,
    *,
    method: str,
    by: User | None,
    check_number: str = "",
    location: Location | None = None,
    appointment: Appointment | None = None,
    memo: str = "",
) -> LedgerEntry:
    """A cash or check payment the desk has in hand. It may be more than the balance: a copay is
    taken before the visit's charge is posted, and leaves a credit until then."""
    check_amount(amount_cents)
    if method not in DESK_METHODS:
        raise BillingError("Take cash or a check here; card payments go through the card reader page.")
    check_number = check_number.strip()
    if method == Method.CHECK and not check_number:
        raise BillingError("Enter the check number.")
    if method == Method.CASH:
        check_number = ""
    label = "Cash" if method == Method.CASH else f"Check #{check_number}"
    entry = post_entry(
        patient,
        LedgerEntry.Kind.PAYMENT,
        amount_cents,
        memo=memo or (f"{label} at check-in" if appointment else label),
        location=location or (appointment.location if appointment else None),
        created_by=by,
        method=method,
        check_number=check_number[:30],
        appointment=appointment,
    )
    assert entry is not None  # no source key: never a repeat
    return entry


@dataclass(frozen=True)
class CheckIn:
    appointment: Appointment
    entry: LedgerEntry | None
    receipt_emailed: bool


def check_in(
    practice: Practice,
    appointment: Appointment,
    *,
    by: User | None,
    amount_cents: int | None = None,
    method: str = "",
    check_number: str = "",
    email_receipt: bool = False,
    now: datetime.datetime | None = None,
) -> CheckIn:
    """Check the patient in and, with an amount, take a cash or check payment: both or neither.
    An appointment already checked in keeps its status (the desk may take the copay afterwards)."""
    with transaction.atomic():
        if appointment.status != Appointment.Status.CHECKED_IN:
            appointment = set_status(appointment, Appointment.Status.CHECKED_IN, now=now)
        entry = None
        if amount_cents:
            entry = take_payment(
                appointment.patient,
                amount_cents,
                method=method,
                check_number=check_number,
                by=by,
                appointment=appointment,
            )
        emailed = bool(entry and email_receipt and send_receipt(practice, entry))
    return CheckIn(appointment, entry, emailed)


def start_card_payment(
    practice: Practice,
    appointment: Appointment,
    amount_cents: int,
    *,
    success_url: str,
    cancel_url: str,
) -> tuple[Payment, str]:
    """A Checkout page on the practice's account for what is due at check-in, for the patient to
    complete on a tablet or their phone. The ledger is posted by Stripe's webhook, as for every card
    payment (with the card as its method)."""
    if not takes_cards(practice):
        raise BillingError("This practice does not take card payments yet.")
    return start_payment_checkout(
        practice,
        appointment.patient,
        amount_cents,
        purpose=Payment.Purpose.COPAY,
        success_url=success_url,
        cancel_url=cancel_url,
        location=appointment.location,
        appointment=appointment,
    )


def receipt_number(entry: LedgerEntry) -> str:
    return f"R-{entry.pk:06d}"


def send_receipt(practice: Practice, entry: LedgerEntry) -> bool:
    """Email a receipt for a payment (an account-email outbox row, sent after commit): the practice,
    the amount, the date, the method and the receipt's number; nothing about the visit."""
    if entry.kind != LedgerEntry.Kind.PAYMENT:
        raise BillingError("Only a payment has a receipt.")
    return notify_patient(
        entry.patient,
        subject=f"Receipt from {practice.name}",
        template="billing/email/desk_receipt.txt",
        context={
            "practice_name": practice.name,
            "amount": f"${-entry.amount_cents / 100:,.2f}",
            "date": timezone.localtime(entry.posted_at).strftime("%B %d, %Y"),
            "receipt_number": receipt_number(entry),
            "method": method_label(entry),
        },
    )


def method_label(entry: LedgerEntry) -> str:
    method = entry.method or (Method.CARD if entry.payment_id else "")
    if method == Method.CHECK:
        return f"Check #{entry.check_number}"
    return str(Method(method).label) if method else "Other"
