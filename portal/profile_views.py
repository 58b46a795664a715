"""Portal profile pages: the patient's (or the chosen child's) demographics, contact preferences,
emergency contact and insurance; the guardian's switch between records; the practice's look."""

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import consent
from portal import branding, phone_verification, two_factor
from portal.forms import PortalForm
from portal.models import ProxyLink
from portal.sessions import ACTING_FOR_KEY, patient_required
from practica.eligibility.selectors import badge, latest_check
from practica.insurance import services as insurance_services
from practica.insurance.models import Coverage
from practica.insurance.selectors import primary_coverage
from practica.intake.errors import UploadRejected
from practica.intake.uploads import extension_for
from practica.patients import services as patient_services
from practica.patients.errors import InvalidPatient
from practica.patients.forms import InsuranceForm, ProfileForm, add_errors


class PortalProfileForm(PortalForm, ProfileForm):
    pass


class PortalInsuranceForm(PortalForm, InsuranceForm):
    pass


@patient_required
def profile(request: HttpRequest) -> HttpResponse:
    patient = request.patient  # type: ignore[attr-defined]
    initial = ProfileForm.initial_for(patient, patient_services.profile_of(patient))
    form = PortalProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        old_phone = patient.phone
        try:
            consent.update_profile(patient, form.cleaned_data)
        except InvalidPatient as error:
            add_errors(form, error)
        else:
            if patient.phone != old_phone:
                phone_verification.forget_verified_phone(patient)
            messages.success(request, _("Your details are saved."))
            return redirect("portal:profile")
    status = 400 if form.errors else 200
    context = {
        "form": form,
        "patient": patient,
        "phone_verified": phone_verification.verified_phone_of(patient),
        "two_factor_on": two_factor.is_enabled(request.portal_account),  # type: ignore[attr-defined]
    }
    return render(request, "portal/profile.html", context, status=status)


@patient_required
def insurance(request: HttpRequest) -> HttpResponse:
    patient = request.patient  # type: ignore[attr-defined]
    current = primary_coverage(patient.pk)
    initial = PortalInsuranceForm.initial_for(current)
    form = PortalInsuranceForm(request.POST or None, request.FILES or None, initial=initial)
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
            messages.success(request, _("Your insurance details are saved."))
            return redirect("portal:insurance")
    check = latest_check(current.pk) if current else None
    context = {
        "form": form,
        "insurance": current,
        "patient": patient,
        # Only whether the insurer confirmed it: no plan details in the portal's wording.
        "verified": check is not None and check.status == "active" and not badge(check, timezone.now()).stale,
        "update_asked": check is not None and check.status in ("inactive", "not_found"),
    }
    return render(request, "portal/profile_insurance.html", context, status=400 if form.errors else 200)


@patient_required
def insurance_card(request: HttpRequest, side: str) -> HttpResponse:
    """A card photo of the record the portal is showing; 404 for anything else."""
    current = primary_coverage(request.patient.pk)  # type: ignore[attr-defined]
    if current is None or side not in ("front", "back"):
        raise Http404("No such file.")
    return card_response(current, side)


def card_response(current: Coverage, side: str) -> HttpResponse:
    stored = current.card_front if side == "front" else current.card_back
    content_type = current.card_front_content_type if side == "front" else current.card_back_content_type
    if not stored:
        raise Http404("No such file.")
    with stored.open("rb") as opened:
        content = opened.read()
    served = HttpResponse(content, content_type=content_type)
    served["Content-Disposition"] = f'attachment; filename="card-{side}.{extension_for(content_type)}"'
    served["X-Content-Type-Options"] = "nosniff"
    served["Cache-Control"] = "private, no-store"
    return served


@patient_required
def switch_patient(request: HttpRequest) -> HttpResponse:
    """A guardian chooses whose record the portal shows: their own, or a child's they are proxy of."""
    account = request.portal_account  # type: ignore[attr-defined]
    links = ProxyLink.objects.filter(account=account).select_related("patient")
    context = {"own": account.patient, "links": links, "current": request.patient}  # type: ignore[attr-defined]
    return render(request, "portal/profile_switch.html", context)


@require_POST
@patient_required
def switch_to(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    account = request.portal_account  # type: ignore[attr-defined]
    if patient_id == account.patient_id:
        request.session.pop(ACTING_FOR_KEY, None)
    elif ProxyLink.objects.filter(account=account, patient_id=patient_id).exists():
        request.session[ACTING_FOR_KEY] = str(patient_id)
    else:
        raise Http404("No such patient.")
    return redirect("portal:home")


# --- the practice's look (no sign-in: the login page is branded too) --------------------------


def logo(request: HttpRequest) -> HttpResponse:
    current = branding.current_branding()
    if current is None or not current.logo:
        raise Http404("No logo.")
    with current.logo.open("rb") as opened:
        content = opened.read()
    served = HttpResponse(content, content_type=current.logo_content_type)
    served["X-Content-Type-Options"] = "nosniff"
    served["Cache-Control"] = "private, max-age=300"
    return served


def theme_css(request: HttpRequest) -> HttpResponse:
    """The practice colour as a stylesheet: the CSP allows no inline styles."""
    summary = branding.branding_summary()
    css = branding.THEME_CSS.replace("COLOUR", str(summary["colour"]))
    if summary["has_logo"]:
        css += branding.LOGO_CSS.replace("LOGO_URL", reverse("portal:logo"))
    served = HttpResponse(css, content_type="text/css")
    served["Cache-Control"] = "private, max-age=300"
    return served
