"""Finding patients as one types (the pickers' JSON) and merging a duplicate record into another."""

import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.audit.services import record_view, record_views
from practica.patients.duplicates import duplicates_of
from practica.patients.errors import MergeRefused
from practica.patients.merge import merge_patients, related_counts
from practica.patients.models import Patient
from practica.patients.selectors import patient_label, search_patients

SEARCH_LIMIT = 20


@capability_required(Capability.VIEW_PATIENTS)
def patient_search(request: HttpRequest) -> JsonResponse:
    """`?q=` words of a name or a birth date: `{"results": [{id, label, name, date_of_birth}]}`,
    at most 20, for the pickers (static/js/patient-picker.js). Each patient shown is audited."""
    query = request.GET.get("q", "").strip()[:80]
    found = list(search_patients(query)[:SEARCH_LIMIT]) if len(query) >= 2 else []
    record_views(found)
    results = [
        {
            "id": str(patient.pk),
            "label": patient_label(patient),
            "name": str(patient),
            "date_of_birth": patient.date_of_birth.isoformat(),
        }
        for patient in found
    ]
    return JsonResponse({"results": results})


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


@capability_required(Capability.MERGE_PATIENTS)
def patient_merge(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    """Merge another record into this one: its likely duplicates (or a search) to choose from, then
    both records side by side with what would move, then the merge itself (POST)."""
    patient = get_object_or_404(Patient, pk=patient_id)
    if request.method == "POST":
        chosen = get_object_or_404(Patient, pk=_uuid(request.POST.get("other")))
        try:
            merge = merge_patients(keep=patient, duplicate=chosen, merged_by=request.user)
        except MergeRefused as error:
            messages.error(request, error.message)
            return redirect(f"{reverse('patient_merge', args=[patient.pk])}?other={chosen.pk}")
        born = f"{merge.merged_date_of_birth:%Y-%m-%d}"
        messages.success(request, f"{merge.merged_name} ({born}) is merged into {patient}.")
        return redirect("patient_detail", patient_id=patient.pk)
    record_view(patient)
    query = request.GET.get("q", "").strip()[:80]
    candidates = duplicates_of(patient)
    found = list(search_patients(query).exclude(pk=patient.pk)[:SEARCH_LIMIT]) if query else []
    other_id = _uuid(request.GET.get("other"))
    other: Patient | None = None
    if other_id is not None:
        other = Patient.objects.filter(pk=other_id).exclude(pk=patient.pk).first()
    shown = [candidate.patient for candidate in candidates] + found + ([other] if other else [])
    record_views(shown)
    context = {
        "patient": patient,
        "candidates": candidates,
        "found": found,
        "q": query,
        "other": other,
        "kept_counts": related_counts(patient) if other else {},
        "other_counts": related_counts(other) if other else {},
    }
    return render(request, "patients/merge.html", context)
