"""The one staff action the portal offers: invite a patient. Staff auth, not patient auth."""

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from portal import accounts
from portal.errors import PortalError
from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.patients.models import Patient


@require_POST
@capability_required(Capability.EDIT_PATIENTS)
def invite_patient(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_id)
    try:
        accounts.invite_patient_to_portal(patient)
    except PortalError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Portal invitation sent to {patient.email}.")
    return redirect("patient_detail", patient_id=patient.pk)
