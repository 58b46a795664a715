"""The statements section a patient's chart includes: the collections flag, the latest statements
and the link to the whole history.
A tag, so the patients app (below statements) needs to know nothing of them."""

from typing import Any

from django import template

from practica.statements.models import PatientAccount, PaymentPlan
from practica.statements.selectors import patient_statements

register = template.Library()


# The chart shows this many of the patient's latest statements; the history page shows them all.
RECENT_STATEMENTS = 10


@register.inclusion_tag("statements/_patient_section.html", takes_context=True)
def patient_statements_section(context: dict[str, Any], patient: Any) -> dict[str, Any]:
    """Two queries whatever the number of statements: the account, and the latest statements."""
    account = PatientAccount.objects.filter(patient=patient).first()
    recent = list(patient_statements(patient.pk)[: RECENT_STATEMENTS + 1])
    return {
        "patient": patient,
        "account": account,
        "statements": recent[:RECENT_STATEMENTS],
        "more": len(recent) > RECENT_STATEMENTS,
        "role": context.get("role"),
        "practice": context.get("practice"),
    }


@register.inclusion_tag("statements/_plans.html", takes_context=True)
def payment_plans_section(context: dict[str, Any], patient: Any) -> dict[str, Any]:
    """The patient's payment plans and each installment, for the ledger and statements pages."""
    plans = list(PaymentPlan.objects.filter(patient=patient).prefetch_related("installments"))
    return {"plans": plans, "practice": context.get("practice")}
