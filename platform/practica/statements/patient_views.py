"""A patient's statements in the back office: their history, paper or not, payment plans, and
sending the account to collections (which stops every statement and message)."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.models import User
from practica.accounts.roles import Capability
from practica.audit.services import record_view
from practica.patient_billing.selectors import balance_cents
from practica.patients.models import Patient
from practica.scheduling.view_helpers import can, get_or_404
from practica.statements import dunning, plans, schedule, services
from practica.statements.errors import StatementError
from practica.statements.forms import PaymentPlanForm
from practica.statements.models import PatientAccount
from practica.statements.selectors import patient_statements


def _page(
    request: HttpRequest, patient: Patient, plan_form: PaymentPlanForm | None = None, status: int = 200
) -> HttpResponse:
    balance = balance_cents(patient)
    if plan_form is None:
        today = schedule.local_date(timezone.now())
        plan_form = PaymentPlanForm(
            initial={"amount": f"{balance / 100:.2f}", "installments": 3, "start_date": today}
        )
    settings = services.current_settings()
    context: dict[str, Any] = {
        "patient": patient,
        "account": PatientAccount.objects.filter(patient=patient).first(),
        "statements": list(patient_statements(patient.pk).select_related("run")),
        "balance_cents": balance,
        "can_edit": can(request, Capability.EDIT_BILLING),
        "has_card": plans.has_card(patient),
        "active_plan": plans.active_plan(patient.pk),
        "plan_form": plan_form,
        "plan_limits": settings,
    }
    return render(request, "statements/patient.html", context, status=status)


@capability_required(Capability.VIEW_BILLING)
def patient_history(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_or_404(Patient.objects.all(), patient_id)
    record_view(patient)
    return _page(request, patient)


@require_POST
@capability_required(Capability.EDIT_BILLING)
def patient_action(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_or_404(Patient.objects.all(), patient_id)
    by = request.user if isinstance(request.user, User) else None
    action = request.POST.get("action")
    if action == "collections":
        dunning.send_to_collections(patient, by=by)
        messages.success(request, "Sent to collections: no more statements or reminders will be sent.")
    elif action == "plan":
        form = PaymentPlanForm(request.POST)
        if not form.is_valid():
            return _page(request, patient, form, status=400)
        try:
            plan = plans.create_plan(
                patient,
                form.cleaned_data["installments"],
                amount_cents=form.cleaned_data["amount"],
                start_date=form.cleaned_data["start_date"],
                by=by,
                by_patient=False,
            )
        except StatementError as error:
            form.add_error(None, error.message)
            return _page(request, patient, form, status=400)
        start = form.cleaned_data["start_date"]
        when = (
            "now"
            if start == schedule.local_date(timezone.now())
            else f"on {start:%b} {start.day}, {start.year}"
        )
        messages.success(
            request,
            f"Payment plan of {plan.installment_count} installments set up; the first is charged {when}.",
        )
    elif action == "cancel_plan":
        active = plans.active_plan(patient.pk)
        if active is not None:
            plans.cancel_plan(active)
            messages.success(request, "Payment plan cancelled; reminders resume.")
    elif action in ("paper", "electronic"):
        services.set_paper_statements(patient.pk, action == "paper")
        messages.success(request, "Statement delivery saved.")
    else:
        messages.error(request, "Choose what to do.")
    return redirect("statements:patient", patient.pk)
