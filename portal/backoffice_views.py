"""Back-office pages about the portal (staff sign-in): registrations awaiting review, guardians
linked to a child's record, and the practice's portal branding."""

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal import branding, review, two_factor
from portal.models import PortalAccount, PracticeBranding, ProxyLink
from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability, role_can
from practica.audit.services import record_views
from practica.intake.errors import UploadRejected
from practica.patients.errors import PatientError
from practica.patients.models import Patient


@capability_required(Capability.VIEW_PATIENTS)
def registrations(request: HttpRequest) -> HttpResponse:
    waiting = list(review.awaiting_review())
    record_views([account.patient for account in waiting])
    rows = [{"account": account, "candidates": list(review.merge_candidates(account))} for account in waiting]
    can_edit = role_can(request.role, Capability.EDIT_PATIENTS)  # type: ignore[attr-defined]
    return render(request, "portal/profile_registrations.html", {"rows": rows, "can_edit": can_edit})


def _waiting_account(account_id: UUID) -> PortalAccount:
    return get_object_or_404(
        PortalAccount.objects.select_related("patient"), pk=account_id, awaiting_review=True
    )


@require_POST
@capability_required(Capability.EDIT_PATIENTS)
def registration_confirm(request: HttpRequest, account_id: UUID) -> HttpResponse:
    account = review.confirm_as_new_patient(_waiting_account(account_id))
    messages.success(request, f"{account.patient} is confirmed as a new patient.")
    return redirect("portal:staff_registrations")


@require_POST
@capability_required(Capability.EDIT_PATIENTS)
def registration_merge(request: HttpRequest, account_id: UUID) -> HttpResponse:
    account = _waiting_account(account_id)
    try:
        existing_id = UUID(request.POST.get("patient", ""))
    except ValueError:
        messages.error(request, "Choose the existing record to merge into.")
        return redirect("portal:staff_registrations")
    try:
        merged = review.merge_into_existing(account, existing_id)
    except PatientError as error:
        messages.error(request, error.message)
        return redirect("portal:staff_registrations")
    messages.success(request, f"The portal account now belongs to {merged.patient}.")
    return redirect("patient_detail", patient_id=merged.patient_id)


@require_POST
@capability_required(Capability.EDIT_PATIENTS)
def proxy_add(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    """Link a guardian's portal account (by its email) as proxy of this patient (the child)."""
    child = get_object_or_404(Patient, pk=patient_id)
    email = request.POST.get("email", "").strip()
    account = PortalAccount.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if account is None:
        messages.error(request, "No portal account at this practice has that email address.")
    elif account.patient_id == child.pk:
        messages.error(request, "That is the patient's own account.")
    else:
        ProxyLink.objects.get_or_create(account=account, patient=child)
        messages.success(request, f"{account.patient} can now act for {child} in the portal.")
    return redirect("patient_detail", patient_id=child.pk)


@require_POST
@capability_required(Capability.EDIT_PATIENTS)
def proxy_remove(request: HttpRequest, patient_id: UUID, link_id: UUID) -> HttpResponse:
    link = get_object_or_404(ProxyLink, pk=link_id, patient_id=patient_id)
    link.delete()
    messages.success(request, "The guardian no longer has access to this record.")
    return redirect("patient_detail", patient_id=patient_id)


@require_POST
@capability_required(Capability.EDIT_PATIENTS)
def two_factor_off(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    """For a patient who lost their authenticator app and recovery codes."""
    account = get_object_or_404(PortalAccount, patient_id=patient_id)
    if two_factor.turn_off_for_patient(account):
        messages.success(request, "Two-factor sign-in is off for this patient's portal account.")
    return redirect("patient_detail", patient_id=patient_id)


class BrandingForm(forms.Form):
    primary_colour = forms.CharField(
        label="Primary colour", max_length=7, help_text="As #rrggbb, e.g. #1f5f8b."
    )
    logo = forms.FileField(label="Logo (PNG or JPEG)", required=False)

    def clean_primary_colour(self) -> str:
        value: str = self.cleaned_data["primary_colour"].strip()
        problem = branding.colour_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value


@capability_required(Capability.MANAGE_PRACTICE)
def branding_edit(request: HttpRequest) -> HttpResponse:
    current = PracticeBranding.objects.first()
    initial = {"primary_colour": current.primary_colour if current else branding.DEFAULT_COLOUR}
    form = BrandingForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            branding.update_branding(
                primary_colour=form.cleaned_data["primary_colour"], logo=form.cleaned_data.get("logo")
            )
        except UploadRejected as error:
            form.add_error("logo", str(error))
        else:
            messages.success(request, "The portal branding is saved.")
            return redirect("portal:staff_branding")
    context = {"form": form, "branding": current}
    return render(request, "portal/profile_branding.html", context, status=400 if form.errors else 200)
