"""A patient's statements in the back office: their history, paper or not, and sending the
account to collections (which stops every statement and message)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.models import User
from practica.accounts.roles import Capability
from practica.audit.services import record_view
from practica.patient_billing.selectors import balance_cents
from practica.patients.models import Patient
from practica.scheduling.view_helpers import can, get_or_404
from practica.statements import dunning, plans, services
from practica.statements.errors import StatementError
from practica.statements.models import PatientAccount, PaymentPlan
from practica.statements.selectors import patient_statements


@capability_required(Capability.VIEW_BILLING)
def patient_history(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_or_404(Patient.objects.all(), patient_id)
    record_view(patient)
    context = {
        "patient": patient,
        "account": PatientAccount.objects.filter(patient=patient).first(),
        "statements": list(patient_statements(patient.pk).select_related("run")),
        "balance_cents": balance_cents(patient),
        "can_edit": can(request, Capability.EDIT_BILLING),
        "has_card": plans.has_card(patient),
    }
    return render(request, "statements/patient.html", context)


@require_POST
@capability_required(Capability.EDIT_BILLING)
def patient_action(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_or_404(Patient.objects.all(), patient_id)
    action = request.POST.get("action")
    if action == "collections":
        by = request.user if isinstance(request.user, User) else None
        dunning.send_to_collections(patient, by=by)
        messages.success(request, "Sent to collections: no more statements or reminders will be sent.")
    elif action == "plan":
        by = request.user if isinstance(request.user, User) else None
        try:
            count = int(request.POST.get("installments", ""))
            plans.create_plan(patient, count, by=by, by_patient=False)
        except ValueError:
            messages.error(request, "Give the number of installments.")
        except StatementError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Payment plan set up; the first installment is charged now.")
    elif action == "cancel_plan":
        plan = PaymentPlan.objects.filter(patient=patient, status=PaymentPlan.Status.ACTIVE).first()
        if plan is not None:
            plans.cancel_plan(plan)
            messages.success(request, "Payment plan cancelled; reminders resume.")
    elif action in ("paper", "electronic"):
        services.set_paper_statements(patient.pk, action == "paper")
        messages.success(request, "Statement delivery saved.")
    else:
        messages.error(request, "Choose what to do.")
    return redirect("statements:patient", patient.pk)
