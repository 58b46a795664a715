from django import forms

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
