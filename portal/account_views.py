"""Portal account security pages: the sign-in code step, turning two-factor sign-in on and off,
and verifying the phone number by a texted code. Thin: parse, call portal.two_factor or
portal.phone_verification, render."""

import io
import re

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from portal import phone_verification, two_factor
from portal.errors import PortalError
from portal.forms import AppCodeForm, PhoneCodeForm, SignInCodeForm, TwoFactorOffForm
from portal.sessions import end_portal_session, patient_required, pending_sign_in, start_portal_session
from portal.view_helpers import practice_or_404


def _svg_qr(data: str) -> str:
    buffer = io.BytesIO()
    qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]  # without the XML declaration, which has no place inside HTML


def _no_store(response: HttpResponse) -> HttpResponse:
    # Secrets and recovery codes must not stay in a browser or proxy cache.
    response["Cache-Control"] = "no-store"
    return response


def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in, for accounts with two-factor sign-in on."""
    practice_or_404(request)
    pending = pending_sign_in(request)
    if pending is None:
        messages.info(request, gettext("Please sign in again."))
        return redirect("portal:login")
    account, next_url = pending
    form = SignInCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.check_code(account, form.cleaned_data["code"])
        except PortalError as error:
            if error.code == "locked":
                end_portal_session(request)  # the password is asked again after the lockout
                messages.error(request, error.message)
                return redirect("portal:login")
            form.add_error("code", error.message)
        else:
            start_portal_session(request, account)
            return redirect(next_url)
    status = 400 if form.errors else 200
    return render(request, "portal/login_code.html", {"form": form}, status=status)


@patient_required
def security(request: HttpRequest) -> HttpResponse:
    """Two-factor sign-in: its state, and setting it up (QR code and key, confirmed by a code)."""
    account = request.portal_account  # type: ignore[attr-defined]
    if two_factor.is_enabled(account):
        context = {
            "enabled": True,
            "off_form": TwoFactorOffForm(),
            "codes_left": two_factor.recovery_codes_left(account),
        }
        return _no_store(render(request, "portal/profile_security.html", context))
    device = two_factor.pending_device(account)
    form = AppCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.turn_on(account, form.cleaned_data["code"])
        except PortalError as error:
            form.add_error("code", error.message)
        else:
            request.session.cycle_key()  # more rights now: a new session key
            # Shown in this response only: neither the session nor the database keeps them in clear.
            return _no_store(render(request, "portal/profile_recovery_codes.html", {"codes": codes}))
    context = {
        "enabled": False,
        "form": form,
        "qr_svg": _svg_qr(two_factor.setup_url(device)),
        # In groups of four, as apps show and accept it: easier to type without a slip.
        "secret": " ".join(re.findall(".{1,4}", two_factor.secret_of(device))),
    }
    return _no_store(
        render(request, "portal/profile_security.html", context, status=400 if form.errors else 200)
    )


@require_POST
@patient_required
def security_off(request: HttpRequest) -> HttpResponse:
    account = request.portal_account  # type: ignore[attr-defined]
    form = TwoFactorOffForm(request.POST)
    if form.is_valid():
        try:
            two_factor.turn_off(account, form.cleaned_data["password_or_code"])
        except PortalError as error:
            if error.code == "locked":
                end_portal_session(request)
                messages.error(request, error.message)
                return redirect("portal:login")
            form.add_error("password_or_code", error.message)
        else:
            messages.success(request, gettext("Two-factor sign-in is off."))
            return redirect("portal:security")
    context = {
        "enabled": True,
        "off_form": form,
        "codes_left": two_factor.recovery_codes_left(account),
    }
    return _no_store(render(request, "portal/profile_security.html", context, status=400))


@patient_required
def phone(request: HttpRequest) -> HttpResponse:
    """The record's phone: verified or not, and the form for the texted code."""
    patient = request.patient  # type: ignore[attr-defined]
    form = PhoneCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            phone_verification.check_code(patient, form.cleaned_data["code"])
        except PortalError as error:
            form.add_error("code", error.message)
        else:
            messages.success(request, gettext("Thank you, your phone number is verified."))
            return redirect("portal:phone")
    context = {
        "patient": patient,
        "verified": phone_verification.verified_phone_of(patient),
        "form": form,
    }
    return render(request, "portal/profile_phone.html", context, status=400 if form.errors else 200)


@require_POST
@patient_required
def phone_send(request: HttpRequest) -> HttpResponse:
    patient = request.patient  # type: ignore[attr-defined]
    try:
        sent_to = phone_verification.send_code(patient)
    except PortalError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            gettext("We have texted a code to %(phone)s. It is valid for 10 minutes.") % {"phone": sent_to},
        )
    return redirect("portal:phone")
