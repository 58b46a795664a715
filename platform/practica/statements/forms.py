from django import forms

from practica.patient_billing.forms import MoneyField
from practica.scheduling.forms import ErrorsDescribeFields
from practica.statements.models import StatementSettings


class StatementSettingsForm(ErrorsDescribeFields, forms.ModelForm):
    class Meta:
        model = StatementSettings
        fields = [
            "monthly_runs",
            "cycle_day",
            "minimum_balance_cents",
            "due_days",
            "remit_to",
            "billing_phone",
            "reminder_days",
            "final_notice_days",
            "collections_days",
            "plan_max_installments",
            "plan_min_installment_cents",
        ]
        widgets = {"remit_to": forms.Textarea(attrs={"rows": 4})}


class PaymentPlanForm(ErrorsDescribeFields, forms.Form):
    """Staff set up a plan; the limits are the practice's, checked by plans.create_plan."""

    amount = MoneyField(label="Amount to pay in installments (USD)")
    installments = forms.IntegerField(label="Monthly installments", min_value=2, max_value=36)
    start_date = forms.DateField(label="First installment on", widget=forms.DateInput(attrs={"type": "date"}))
