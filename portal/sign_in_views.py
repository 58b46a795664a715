"""Getting into the portal: sign in and out, register and confirm the email address, accept the
practice's invitation, reset a forgotten password. Thin: parse, call portal.accounts, render."""

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import accounts, two_factor
from portal.errors import PortalError
from portal.forms import InviteAcceptForm, LoginForm, RegisterForm, ResetForm, ResetRequestForm
from portal.sessions import end_portal_session, session_account, start_pending_sign_in, start_portal_session
from portal.view_helpers import practice_or_404
from practica.patients.errors import InvalidPatient
from practica.patients.forms import add_errors


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/portal/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:home")


def login_view(request: HttpRequest) -> HttpResponse:
    practice_or_404(request)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = accounts.sign_in(
                form.cleaned_data["email"], form.cleaned_data["password"], _client_ip(request)
            )
        except PortalError as error:
            form.add_error(None, error.message)
        else:
            target = _next_url(request)
            if two_factor.is_enabled(account):
                start_pending_sign_in(request, account, target)
                return redirect("portal:login_code")
            start_portal_session(request, account)
            return redirect(target)
    return render(request, "portal/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if session_account(request) is not None:
        end_portal_session(request)
    messages.success(request, _("You are signed out."))
    return redirect("portal:login")


def register(request: HttpRequest) -> HttpResponse:
    practice_or_404(request)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            accounts.note_email_request(_client_ip(request))
            accounts.register_patient(
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=data["date_of_birth"],
                email=data["email"],
                password=data["password"],
                language=request.LANGUAGE_CODE,
            )
        except InvalidPatient as error:
            add_errors(form, error)
        except PortalError as error:
            form.add_error(None if error.code == "rate_limited" else "password", error.message)
        else:
            return render(request, "portal/check_email.html", {"email": data["email"]})
    return render(request, "portal/register.html", {"form": form})


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    practice_or_404(request)
    try:
        accounts.verify_email(token)
    except PortalError as error:
        return render(request, "portal/link_problem.html", {"message": error.message}, status=400)
    messages.success(request, _("Thank you, your email address is confirmed. You can sign in now."))
    return redirect("portal:login")


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    practice_or_404(request)
    try:
        patient = accounts.invited_patient(token)
    except PortalError as error:
        return render(request, "portal/link_problem.html", {"message": error.message}, status=400)
    form = InviteAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = accounts.accept_invitation(
                token,
                date_of_birth=form.cleaned_data["date_of_birth"],
                password=form.cleaned_data["password"],
            )
        except PortalError as error:
            form.add_error("date_of_birth" if error.code == "date_of_birth" else "password", error.message)
        else:
            start_portal_session(request, account)
            messages.success(request, _("Welcome! Your portal account is ready."))
            return redirect("portal:home")
    return render(request, "portal/invitation.html", {"form": form, "first_name": patient.first_name})


def password_reset_request(request: HttpRequest) -> HttpResponse:
    practice_or_404(request)
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.note_email_request(_client_ip(request))
        except PortalError as error:
            form.add_error(None, error.message)
        else:
            accounts.request_password_reset(form.cleaned_data["email"])
            context = {"email": form.cleaned_data["email"], "reset": True}
            return render(request, "portal/check_email.html", context)
    return render(request, "portal/password_reset.html", {"form": form})


def password_reset_confirm(request: HttpRequest, account_id: UUID, token: str) -> HttpResponse:
    practice_or_404(request)
    account = accounts.account_for_reset(str(account_id), token)
    if account is None:
        message = _("This password reset link is invalid, used or expired. Please ask for a new one.")
        return render(request, "portal/link_problem.html", {"message": message, "reset": True}, status=400)
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.reset_password(account, form.cleaned_data["password"])
        except PortalError as error:
            form.add_error("password", error.message)
        else:
            messages.success(request, _("Your password is changed. Please sign in."))
            return redirect("portal:login")
    return render(request, "portal/password_reset_confirm.html", {"form": form})
