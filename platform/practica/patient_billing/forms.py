from decimal import Decimal
from typing import Any

from django import forms

from practica.patient_billing.models import LedgerEntry, Payment


class MoneyField(forms.DecimalField):
    """Dollars and cents typed by staff, returned as integer cents."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=9, decimal_places=2, **kwargs)

    def clean(self, value: Any) -> int | None:
        amount = super().clean(value)
        return None if amount is None else int(Decimal(amount) * 100)


class EntryForm(forms.Form):
    """The ledger's form. Staff who take payments but do not edit billing see payments only."""

    KINDS = [
        (LedgerEntry.Kind.CHARGE, "Charge"),
        (LedgerEntry.Kind.PAYMENT, "Payment (cash or check)"),
        (LedgerEntry.Kind.ADJUSTMENT, "Adjustment (negative: credit)"),
        (LedgerEntry.Kind.WRITE_OFF, "Write-off"),
    ]
    kind = forms.ChoiceField(choices=KINDS)
    amount = MoneyField()
    method = forms.ChoiceField(
        choices=[("", "—"), (LedgerEntry.Method.CASH, "Cash"), (LedgerEntry.Method.CHECK, "Check")],
        required=False,
        label="Payment method",
    )
    check_number = forms.CharField(max_length=30, required=False, label="Check number")
    memo = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, payments_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if payments_only:
            self.fields["kind"].choices = [self.KINDS[1]]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == LedgerEntry.Kind.PAYMENT:
            if not data.get("method"):
                self.add_error("method", "Choose cash or check.")
            elif data["method"] == LedgerEntry.Method.CHECK and not data.get("check_number", "").strip():
                self.add_error("check_number", "Enter the check number.")
        elif data.get("method") or data.get("check_number"):
            self.add_error("method", "Only a payment has a method.")
        return data


class AmountForm(forms.Form):
    amount = MoneyField()


class RefundForm(forms.Form):
    amount = MoneyField(required=False, help_text="Leave empty to refund everything left.")


class CardSetupForm(forms.Form):
    consent = forms.BooleanField(
        label="The patient agrees to keep this card on file for no-show and late-cancel fees."
    )


class FeeForm(forms.Form):
    purpose = forms.ChoiceField(
        choices=[
            (Payment.Purpose.NO_SHOW_FEE, "No-show fee"),
            (Payment.Purpose.LATE_CANCEL_FEE, "Late-cancel fee"),
        ]
    )
    amount = MoneyField()
    request_key = forms.UUIDField(widget=forms.HiddenInput)


class DeskPaymentForm(forms.Form):
    """A payment taken at the desk: cash, a check (its number recorded) or a card through Stripe."""

    amount = MoneyField(
        required=False, label="Amount to take (USD)", help_text="Leave empty to take nothing."
    )
    method = forms.ChoiceField(
        choices=[(LedgerEntry.Method.CASH, "Cash"), (LedgerEntry.Method.CHECK, "Check")],
        widget=forms.RadioSelect,
        initial=LedgerEntry.Method.CASH,
    )
    check_number = forms.CharField(max_length=30, required=False, label="Check number")
    email_receipt = forms.BooleanField(required=False, label="Email a receipt to the patient")

    def __init__(self, *args: Any, cards: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if cards:
            method: forms.ChoiceField = self.fields["method"]  # type: ignore[assignment]
            method.choices = [
                (LedgerEntry.Method.CASH, "Cash"),
                (LedgerEntry.Method.CHECK, "Check"),
                (LedgerEntry.Method.CARD, "Card (the patient pays on the tablet or their phone)"),
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amount = data.get("amount")
        if amount is not None and amount <= 0:
            self.add_error("amount", "Enter an amount more than $0.00, or leave it empty.")
        number = data.get("check_number", "").strip()
        if amount and data.get("method") == LedgerEntry.Method.CHECK and not number:
            self.add_error("check_number", "Enter the check number.")
        return data
