from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from notifications import consent
from portal.models import PortalTOTPDevice, ProxyLink
from portal.phone_verification import verified_phone_of
from portal.profile_views import card_response
from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability, role_can
from practica.audit.services import record_view, record_views
from practica.eligibility.selectors import badge as eligibility_badge
from practica.eligibility.selectors import latest_check
from practica.insurance import services as insurance_services
from practica.insurance.selectors import primary_coverage
from practica.intake.errors import UploadRejected
from practica.patients import services
from practica.patients.chart import patient_chart
from practica.patients.duplicates import Candidate
from practica.patients.errors import InvalidPatient, LikelyDuplicate
from practica.patients.forms import PatientForm, ProfileForm, StaffInsuranceForm, add_errors
from practica.patients.models import Patient, PatientProfile
from practica.patients.selectors import search_patients


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
    insurance = primary_coverage(patient.pk)
    context = {
        "patient": patient,
        "can_edit": can_edit,
        "profile": PatientProfile.objects.filter(patient=patient).first(),
        "insurance": insurance,
        "eligibility": eligibility_badge(latest_check(insurance.pk), timezone.now()) if insurance else None,
        "proxy_links": ProxyLink.objects.filter(patient=patient).select_related("account__patient"),
        "acts_for": ProxyLink.objects.filter(account__patient=patient).select_related("patient"),
        "phone_verified": verified_phone_of(patient) is not None,
        "portal_two_factor": PortalTOTPDevice.objects.filter(
            account__patient=patient, confirmed=True
        ).exists(),
        "chart": patient_chart(patient),
        "can_see_billing": role_can(request.role, Capability.VIEW_BILLING)  # type: ignore[attr-defined]
        or role_can(request.role, Capability.TAKE_PAYMENTS),  # type: ignore[attr-defined]
        "can_see_audit": role_can(request.role, Capability.VIEW_AUDIT),  # type: ignore[attr-defined]
    }
    return render(request, "patients/detail.html", context)


@capability_required(Capability.EDIT_PATIENTS)
def patient_profile_edit(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_id)
    if request.method == "GET":
        record_view(patient)
    initial = ProfileForm.initial_for(patient, services.profile_of(patient))
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            consent.update_profile(patient, form.cleaned_data)  # the SMS consent's rules included
        except InvalidPatient as error:
            add_errors(form, error)
        else:
            return redirect("patient_detail", patient_id=patient.pk)
    context = {"form": form, "patient": patient, "what": "profile"}
    return render(request, "patients/profile_edit.html", context, status=400 if form.errors else 200)


@capability_required(Capability.EDIT_PATIENTS)
def patient_insurance_edit(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_id)
    current = primary_coverage(patient.pk)
    if request.method == "GET" and current is not None:
        record_view(current)
    form = StaffInsuranceForm(
        request.POST or None, request.FILES or None, initial=StaffInsuranceForm.initial_for(current)
    )
    if request.method == "POST" and form.is_valid():
        try:
            insurance_services.save_coverage(
                patient,
                form.coverage_data(),
                card_front=form.cleaned_data.get("card_front"),
                card_back=form.cleaned_data.get("card_back"),
            )
        except UploadRejected as error:
            form.add_error(None, str(error))
        else:
            return redirect("patient_detail", patient_id=patient.pk)
    context = {"form": form, "patient": patient, "what": "insurance"}
    return render(request, "patients/profile_edit.html", context, status=400 if form.errors else 200)


@capability_required(Capability.VIEW_PATIENTS)
def patient_insurance_card(request: HttpRequest, patient_id: str, side: str) -> HttpResponse:
    current = primary_coverage(patient_id)
    if current is None or side not in ("front", "back"):
        raise Http404("No such file.")
    record_view(current)
    return card_response(current, side)


@capability_required(Capability.EDIT_PATIENTS)
def patient_edit(request: HttpRequest, patient_id: str | None = None) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_id) if patient_id else None
    if patient is not None and request.method == "GET":
        record_view(patient)  # the form shows the patient's details
    form = PatientForm(request.POST or None, initial=PatientForm.initial_for(patient), new=patient is None)
    duplicates: list[Candidate] = []
    if request.method == "POST" and form.is_valid():
        try:
            if patient is None:
                confirmed = form.cleaned_data.get("not_a_duplicate", False)
                saved = services.create_patient(form.cleaned_data, check_duplicates=not confirmed)
            else:
                saved = services.update_patient(patient, form.cleaned_data)
        except InvalidPatient as error:
            add_errors(form, error)
        except LikelyDuplicate as error:
            duplicates = error.candidates
            record_views([candidate.patient for candidate in duplicates])
            form.add_error(None, error.message)
        else:
            return redirect("patient_detail", patient_id=saved.pk)
    can_merge = role_can(request.role, Capability.MERGE_PATIENTS)  # type: ignore[attr-defined]
    context = {"form": form, "patient": patient, "duplicates": duplicates, "can_merge": can_merge}
    return render(request, "patients/edit.html", context)
