"""Sessions are bound to the host they were opened on (public site or one practice)."""

from django.contrib.auth import login
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from practica.accounts.models import User
from practica.core.tenancy import current_schema

SESSION_PRACTICE_KEY = "practica_schema"


def session_practice(request: HttpRequest) -> str | None:
    return request.session.get(SESSION_PRACTICE_KEY)


def start_session(request: HttpRequest, user: User, device: TOTPDevice | None = None) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_PRACTICE_KEY] = current_schema()
    if device is not None:
        otp_login(request, device)
