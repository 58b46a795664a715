"""Billing setup forms: they parse and show the models' own rules; saving is billing_setup's."""

from typing import Any

from django import forms

from practica.claims.models import BillingProfile, CustomScrubRule, FeeSchedule, ProcedureCode
from practica.claims.scrubber.custom import FIELDS
from practica.insurance.models import Payer


class BillingProfileForm(forms.ModelForm):
    class Meta:
        model = BillingProfile
        # The EDI folders are the operator's to set (a path on the server), not a web form's.
        fields = [
            "legal_name", "group_npi", "ein", "taxonomy", "phone",
            "address_line1", "address_line2", "city", "state", "postal_code",
            "pay_to_address_line1", "pay_to_address_line2", "pay_to_city", "pay_to_state",
            "pay_to_postal_code",
            "submitter_id", "submitter_name", "submitter_contact_name", "submitter_contact_phone",
            "submitter_contact_email", "receiver_id", "receiver_name",
            "isa_sender_qualifier", "isa_sender_id", "isa_receiver_qualifier", "isa_receiver_id",
            "gs_sender_code", "gs_receiver_code", "usage_indicator",
        ]  # fmt: skip


class PayerForm(forms.ModelForm):
    payer_id = forms.CharField(
        label="Payer id at the clearinghouse",
        max_length=80,
        required=False,
        help_text="NM109 of loop 2010BB.",
    )

    class Meta:
        model = Payer
        fields = [
            "name",
            "claim_filing_indicator",
            "timely_filing_days",
            "appeal_window_days",
            "requires_referring_provider",
            "requires_prior_authorization",
            "requires_taxonomy",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "is_active",
        ]

    def __init__(self, *args: Any, clearinghouse: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clearinghouse = clearinghouse
        self.fields["payer_id"].initial = self.instance.payer_id_for(clearinghouse)
        # Left empty, the payer keeps its window (60 days for a new one).
        self.fields["appeal_window_days"].required = False

    def payer_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if data["appeal_window_days"] is None:
            data["appeal_window_days"] = self.instance.appeal_window_days or 60
        ids = dict(self.instance.payer_ids or {})
        ids[self.clearinghouse] = self.cleaned_data["payer_id"].strip()
        data["payer_ids"] = {key: value for key, value in ids.items() if value}
        return data


class ProcedureForm(forms.ModelForm):
    default_fee = forms.DecimalField(label="Default fee ($)", min_value=0, decimal_places=2, max_digits=9)

    class Meta:
        model = ProcedureCode
        fields = ["code", "kind", "label", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_fee"].initial = (
            self.instance.default_fee_cents / 100 if self.instance.pk else None
        )

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip().upper()


class ProcedureImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text="Columns: code, kind (CPT or HCPCS), label, default_fee (dollars)."
    )
    dry_run = forms.BooleanField(
        label="Dry run: check the file, change nothing", required=False, initial=True
    )


class FeeScheduleForm(forms.ModelForm):
    class Meta:
        model = FeeSchedule
        fields = ["name", "payer", "location", "effective_from", "effective_to", "is_active"]
        widgets = {
            "effective_from": forms.DateInput(attrs={"type": "date"}),
            "effective_to": forms.DateInput(attrs={"type": "date"}),
        }


class CustomScrubRuleForm(forms.ModelForm):
    """A practice's own rule; whether it can be checked is the scrubber settings service's call."""

    field = forms.ChoiceField(
        label="Field", help_text="What the rule looks at: the claim's or each of its lines'."
    )

    class Meta:
        model = CustomScrubRule
        fields = ["name", "field", "operator", "value", "message", "severity", "payer", "enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["field"]
        payer = self.fields["payer"]
        assert isinstance(field, forms.ChoiceField) and isinstance(payer, forms.ModelChoiceField)
        field.choices = [("", "---------"), *((name, name) for name in FIELDS)]
        payer.queryset = Payer.objects.order_by("name")
        self.fields["payer"].help_text = "Only for this payer's claims; empty for every payer."
