"""Posting to a patient's ledger. Every write is a new entry; none is ever changed."""

from django.db import IntegrityError, transaction

from practica.accounts.models import User
from practica.patient_billing.errors import BillingError
from practica.patient_billing.models import LedgerEntry, Payment
from practica.patient_billing.selectors import balance_cents
from practica.patients.models import Patient
from practica.scheduling.models import Appointment, Location

PRACTICE_CURRENCY = "usd"

# The sign each kind has on the balance (what the patient owes).
_SIGN = {
    LedgerEntry.Kind.CHARGE: 1,
    LedgerEntry.Kind.PAYMENT: -1,
    LedgerEntry.Kind.REFUND: 1,
    LedgerEntry.Kind.WRITE_OFF: -1,
}


def check_amount(amount_cents: int, currency: str = PRACTICE_CURRENCY) -> None:
    if currency.lower() != PRACTICE_CURRENCY:
        raise BillingError(f"Only {PRACTICE_CURRENCY.upper()} is accepted, not {currency.upper()}.")
    if amount_cents == 0:
        raise BillingError("The amount must be more than zero.")
    if amount_cents < 0:
        raise BillingError("The amount cannot be negative.")


def post_entry(
    patient: Patient,
    kind: str,
    amount_cents: int,
    *,
    memo: str = "",
    currency: str = PRACTICE_CURRENCY,
    location: Location | None = None,
    payment: Payment | None = None,
    source_key: str | None = None,
    created_by: User | None = None,
    method: str = "",
    check_number: str = "",
    appointment: Appointment | None = None,
) -> LedgerEntry | None:
    """Post one entry. `amount_cents` is positive for every kind but adjustments, which carry their sign.

    With a `source_key` (the Stripe object behind it) a second post of the same object returns None
    and changes nothing: webhooks may repeat, and the product may post before the webhook does."""
    if kind == LedgerEntry.Kind.ADJUSTMENT:
        if amount_cents == 0:
            raise BillingError("The amount must not be zero.")
        check_amount(abs(amount_cents), currency)
        signed = amount_cents
    else:
        check_amount(amount_cents, currency)
        signed = _SIGN[LedgerEntry.Kind(kind)] * amount_cents
    if source_key and LedgerEntry.objects.filter(source_key=source_key).exists():
        return None
    try:
        with transaction.atomic():
            return LedgerEntry.objects.create(
                patient=patient,
                kind=kind,
                amount_cents=signed,
                currency=currency.lower(),
                memo=memo[:200],
                location=location,
                payment=payment,
                source_key=source_key,
                created_by=created_by,
                method=method if kind == LedgerEntry.Kind.PAYMENT else "",
                check_number=check_number,
                appointment=appointment,
            )
    except IntegrityError:
        if source_key and LedgerEntry.objects.filter(source_key=source_key).exists():
            return None  # a concurrent delivery of the same event posted it first
        raise


def write_off(patient: Patient, amount_cents: int, *, memo: str, created_by: User | None) -> LedgerEntry:
    check_amount(amount_cents)
    with transaction.atomic():
        Patient.objects.select_for_update().get(pk=patient.pk)  # one balance check at a time
        if amount_cents > balance_cents(patient):
            raise BillingError("A write-off cannot be more than the balance owed.")
        entry = post_entry(
            patient, LedgerEntry.Kind.WRITE_OFF, amount_cents, memo=memo, created_by=created_by
        )
    assert entry is not None
    return entry


def post_entries(entries: list[LedgerEntry]) -> int:
    """Post many new entries at once (signed amounts, each with its `source_key`); an entry whose
    source key was posted before is skipped, so posting the same batch twice adds nothing.
    Returns how many were new. For callers posting hundreds at a time (remittances)."""
    if not entries:
        return 0
    for entry in entries:
        if not entry.source_key:
            raise BillingError("A batch of entries needs a source key on each.")
        if entry.amount_cents == 0:
            raise BillingError("The amount must not be zero.")
        if (
            entry.kind not in (LedgerEntry.Kind.ADJUSTMENT,)
            and entry.amount_cents * _SIGN[LedgerEntry.Kind(entry.kind)] < 0
        ):
            raise BillingError(f"A {entry.kind} entry has the wrong sign.")
        entry.currency = PRACTICE_CURRENCY
        entry.memo = entry.memo[:200]
    keys = [e.source_key for e in entries]
    before = LedgerEntry.objects.filter(source_key__in=keys).count()
    LedgerEntry.objects.bulk_create(entries, ignore_conflicts=True, batch_size=2000)
    return LedgerEntry.objects.filter(source_key__in=keys).count() - before
