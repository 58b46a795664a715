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
    kind = forms.ChoiceField(
        choices=[
            (LedgerEntry.Kind.CHARGE, "Charge"),
            (LedgerEntry.Kind.ADJUSTMENT, "Adjustment (negative: credit)"),
            (LedgerEntry.Kind.WRITE_OFF, "Write-off"),
        ]
    )
    amount = MoneyField()
    memo = forms.CharField(max_length=200, required=False)


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
