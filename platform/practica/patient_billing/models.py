"""A patient's account with the practice: an append-only ledger in integer cents, and the Stripe
objects (payments, pay-by-links, cards on file, disputes) that post to it."""

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LedgerEntry(models.Model):
    """One line of a patient's account. Never edited or deleted (a database trigger refuses it):
    a mistake is corrected by a new adjustment. The balance is the sum of `amount_cents`."""

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        PAYMENT = "payment", _("Payment")
        ADJUSTMENT = "adjustment", _("Adjustment")
        REFUND = "refund", _("Refund")
        WRITE_OFF = "write_off", _("Write-off")

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CHECK = "check", _("Check")
        CARD = "card", _("Card")

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="ledger_entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # How a payment was made; empty for other kinds (card payments from before it was recorded have
    # a `payment`, see selectors.payment_method).
    method = models.CharField(max_length=5, choices=Method.choices, blank=True)
    check_number = models.CharField(max_length=30, blank=True)
    # The visit a payment taken at check-in was for (a copay), if any.
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Signed effect on what the patient owes: charges and refunds add, payments and write-offs subtract.
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="usd")
    memo = models.CharField(max_length=200, blank=True)
    location = models.ForeignKey(
        "scheduling.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.ForeignKey(
        "billing.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    # The Stripe object that caused this entry ("pi:…", "re:…", "dp:…"): posting it twice is a no-op.
    source_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["posted_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount_cents=0), name="ledger_amount_not_zero"),
            models.CheckConstraint(
                condition=models.Q(method="") | models.Q(kind="payment"),
                name="ledger_method_only_on_payments",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cents / 100:.2f}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Ledger entries are append-only; post an adjustment instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Ledger entries are append-only; post an adjustment instead.")


class Payment(models.Model):
    """A card payment to the practice through its Stripe Connect account (a direct charge)."""

    class Purpose(models.TextChoices):
        BALANCE = "balance", "Balance"
        DEPOSIT = "deposit", "Booking deposit"
        PAY_LINK = "pay_link", "Pay-by-link"
        NO_SHOW_FEE = "no_show_fee", "No-show fee"
        LATE_CANCEL_FEE = "late_cancel_fee", "Late-cancel fee"
        COPAY = "copay", "Payment at check-in"
        INSTALLMENT = "installment", "Payment plan installment"

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="payments")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    amount_cents = models.PositiveIntegerField()
    application_fee_cents = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="usd")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    location = models.ForeignKey(
        "scheduling.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pay_link = models.ForeignKey("billing.PayLink", null=True, blank=True, on_delete=models.PROTECT)
    # The visit a payment started at check-in is for (its ledger entry names it too).
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    stripe_checkout_session = models.CharField(max_length=255, blank=True)
    stripe_payment_intent = models.CharField(max_length=255, null=True, blank=True, unique=True)
    stripe_charge = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.amount_cents / 100:.2f}"


class PayLink(models.Model):
    """A link sent by SMS or email to pay an amount without signing in.

    See practica.patient_billing.paylinks."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="pay_links")
    amount_cents = models.PositiveIntegerField()
    location = models.ForeignKey(
        "scheduling.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    uses = models.PositiveSmallIntegerField(default=0)
    max_uses = models.PositiveSmallIntegerField(default=3)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Pay-by-link {self.amount_cents / 100:.2f}"


class StripeCustomer(models.Model):
    """The patient as a customer on the practice's connected account, and the card kept on file."""

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="stripe_customer"
    )
    stripe_customer = models.CharField(max_length=255, unique=True)
    card_payment_method = models.CharField(max_length=255, blank=True)
    card_consent_at = models.DateTimeField(null=True, blank=True)
    card_consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    card_saved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.stripe_customer

    @property
    def has_card(self) -> bool:
        return bool(self.card_payment_method)


class Dispute(models.Model):
    stripe_dispute = models.CharField(max_length=255, unique=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="disputes"
    )
    stripe_charge = models.CharField(max_length=255)
    amount_cents = models.PositiveIntegerField()
    reason = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=40)
    # Stripe's `created` of the event last applied: an older event arriving late changes nothing.
    last_event_created = models.BigIntegerField(default=0)
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"Dispute {self.stripe_dispute} ({self.status})"


class DepositHold(models.Model):
    """An appointment booked with a deposit due: it keeps its slot until the deposit is paid, or
    is released (cancelled) when the hold expires
    (practica.patient_billing.deposits.release_expired_holds)."""

    class State(models.TextChoices):
        HELD = "held", "Held for payment"
        PAID = "paid", "Paid"
        RELEASED = "released", "Released"

    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="deposit_hold"
    )
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="deposit_hold")
    state = models.CharField(max_length=8, choices=State.choices, default=State.HELD)
    hold_expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"Deposit hold ({self.state})"
