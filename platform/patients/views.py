from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.decorators import capability_required
from accounts.roles import Capability, role_can
from audit.services import record_view, record_views
from patients.forms import PatientForm
from patients.models import Patient
from patients.selectors import search_patients


@capability_required(Capability.VIEW_PATIENTS)
def patient_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:80]
    page = Paginator(search_patients(query), 50).get_page(request.GET.get("page"))
    record_views(page.object_list)
    can_edit = role_can(request.role, Capability.EDIT_PATIENTS)  # type: ignore[attr-defined]
    return render(request, "patients/list.html", {"page": page, "q": query, "can_edit": can_edit})


@capability_required(Capability.VIEW_PATIENTS)
def patient_detail(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_id)
    record_view(patient)
    can_edit = role_can(request.role, Capability.EDIT_PATIENTS)  # type: ignore[attr-defined]
    return render(request, "patients/detail.html", {"patient": patient, "can_edit": can_edit})


@capability_required(Capability.EDIT_PATIENTS)
def patient_edit(request: HttpRequest, patient_id: str | None = None) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_id) if patient_id else None
    if patient is not None and request.method == "GET":
        record_view(patient)  # the form shows the patient's details
    form = PatientForm(request.POST or None, instance=patient)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        return redirect("patient_detail", patient_id=saved.pk)
    return render(request, "patients/edit.html", {"form": form, "patient": patient})
