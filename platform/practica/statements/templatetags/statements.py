"""The statements section a patient's page includes: the collections flag and the history link.
A tag, so the patients app (below statements) needs to know nothing of them."""

from typing import Any

from django import template

from practica.statements.models import PatientAccount, PaymentPlan, Statement

register = template.Library()


@register.inclusion_tag("statements/_patient_section.html", takes_context=True)
def patient_statements_section(context: dict[str, Any], patient: Any) -> dict[str, Any]:
    account = PatientAccount.objects.filter(patient=patient).first()
    return {
        "patient": patient,
        "account": account,
        "latest": Statement.objects.filter(patient=patient).order_by("-statement_date").first(),
        "role": context.get("role"),
        "practice": context.get("practice"),
    }


@register.inclusion_tag("statements/_plans.html", takes_context=True)
def payment_plans_section(context: dict[str, Any], patient: Any) -> dict[str, Any]:
    """The patient's payment plans and each installment, for the ledger and statements pages."""
    plans = list(PaymentPlan.objects.filter(patient=patient).prefetch_related("installments"))
    return {"plans": plans, "practice": context.get("practice")}
