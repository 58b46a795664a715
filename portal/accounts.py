"""Portal accounts: self-registration and email confirmation, staff invitations, sign-in with its
lockout, and password reset."""

import datetime
import hashlib
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from notifications.links import practice_link
from portal import tokens
from portal.emails import email_language, queue_email
from portal.errors import PortalError
from portal.models import PortalAccount
from portal.sessions import end_portal_sessions_of
from practica.patients import services as patient_services
from practica.patients.models import Patient

LOGIN_FAILURE_LIMIT = 5  # per email and network address
# Per email from any address: slows a guesser who spreads over many addresses, while staying
# high enough that a stranger cannot easily lock a patient out.
ACCOUNT_FAILURE_LIMIT = 20
# Per network address over every email: one address cannot try a few passwords for many accounts.
ADDRESS_FAILURE_LIMIT = 20
LOCKOUT_SECONDS = 15 * 60
# Registration and reset requests send email: cap them per network address.
EMAIL_REQUESTS_PER_HOUR = 10
SIGN_IN_ERROR = gettext_noop("That email and password do not match a portal account at this practice.")


def _check_password_rules(password: str, field: str = "password") -> None:
    try:
        validate_password(password)
    except ValidationError as error:
        raise PortalError(" ".join(str(message) for message in error.messages), field) from error


# --- registration and invitations -------------------------------------------------------------


def send_verification_email(account: PortalAccount) -> None:
    link = practice_link("portal:verify_email", tokens.make_verification_token(account))
    queue_email(
        account.email,
        gettext_lazy("Confirm your email address"),
        "portal/email/verify.txt",
        {"link": link},
        language=email_language(account.patient),
    )


def register_patient(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: datetime.date,
    email: str,
    password: str,
    language: str | None = None,
) -> PortalAccount | None:
    """Self-registration: a new patient record and an unverified account, and a confirmation link
    by email. When the address already has an account, its owner is told by email instead and
    nothing is created; the page says the same either way, so it reveals no one's records.
    `language`, the one the patient registered in, goes on their new profile."""
    details: dict[str, Any] = {
        "first_name": first_name,
        "last_name": last_name,
        "date_of_birth": date_of_birth,
        "email": email,
    }
    if language:
        details["preferred_language"] = language
    patient_services.check_new_patient(details)  # InvalidPatient before anything is looked up
    _check_password_rules(password)
    email = email.strip()
    existing = PortalAccount.objects.filter(email__iexact=email).first()
    if existing is not None:
        queue_email(
            existing.email,
            gettext_lazy("Someone tried to register with your email"),
            "portal/email/already_registered.txt",
            {"login": practice_link("portal:login"), "reset": practice_link("portal:password_reset")},
            language=email_language(existing.patient),
        )
        return None
    try:
        with transaction.atomic():
            # A likely duplicate is not refused here (that would tell a stranger who is a patient):
            # the staff's review of the registration shows it and merges.
            patient = patient_services.create_patient(details, check_duplicates=False)
            account = PortalAccount(patient=patient, email=email, awaiting_review=True)
            account.set_password(password)
            account.save()
    except IntegrityError:
        return None  # the same address registered a moment ago, concurrently
    send_verification_email(account)
    return account


def verify_email(token: str) -> PortalAccount:
    read = tokens.read_verification_token(token)
    if read is None:
        raise PortalError(
            _("This confirmation link is invalid or has expired. Sign in to get a new one."), "bad_link"
        )
    account_id, email = read
    account = PortalAccount.objects.filter(pk=account_id, is_active=True).first()
    if account is None or account.email.lower() != email:
        raise PortalError(
            _("This confirmation link is invalid or has expired. Sign in to get a new one."), "bad_link"
        )
    if account.email_verified_at is None:
        account.email_verified_at = timezone.now()
        account.save(update_fields=["email_verified_at"])
    return account


def invite_patient_to_portal(patient: Patient) -> str:
    """Staff invite an existing patient: a signed link, valid INVITE_MAX_AGE, to set a password for
    an account tied to this patient record. Returns the link (also emailed to the patient)."""
    if not patient.email:
        raise PortalError("Add the patient's email address before inviting them to the portal.", "no_email")
    if PortalAccount.objects.filter(patient=patient).exists():
        raise PortalError("This patient already has a portal account.", "has_account")
    if PortalAccount.objects.filter(email__iexact=patient.email).exists():
        raise PortalError("Another portal account already uses this email address.", "email_taken")
    token = tokens.make_invitation_token(str(patient.pk), patient.email)
    link = practice_link("portal:accept_invitation", token)
    queue_email(
        patient.email,
        gettext_lazy("Your patient portal invitation"),
        "portal/email/invitation.txt",
        {"link": link},
        language=email_language(patient),
    )
    return link


def invited_patient(token: str) -> Patient:
    read = tokens.read_invitation_token(token)
    patient = Patient.objects.filter(pk=read[0]).first() if read else None
    if read is None or patient is None or patient.email.lower() != read[1]:
        raise PortalError(
            _("This invitation link is invalid or has expired. Please ask the practice for a new one."),
            "bad_link",
        )
    if PortalAccount.objects.filter(patient=patient).exists():
        raise PortalError(_("This invitation has already been used. Please sign in."), "used")
    return patient


def accept_invitation(token: str, *, date_of_birth: datetime.date, password: str) -> PortalAccount:
    patient = invited_patient(token)
    if patient.date_of_birth != date_of_birth:
        raise PortalError(_("That date of birth does not match our records."), "date_of_birth")
    _check_password_rules(password)
    # The link reached the patient's inbox, so the address counts as confirmed.
    account = PortalAccount(patient=patient, email=patient.email, email_verified_at=timezone.now())
    account.set_password(password)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as error:
        raise PortalError(_("This invitation has already been used. Please sign in."), "used") from error
    return account


# --- sign-in and passwords ----------------------------------------------------------------------

_DUMMY_HASH = make_password("practica-portal-timing-equaliser")


def counter_key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).lower().encode()).hexdigest()[:32]
    return f"portal-{kind}:{digest}"  # the cache adds the practice schema in front


def bump_counter(key: str, window_seconds: int) -> int:
    cache.add(key, 0, window_seconds)  # starts the window only on the first hit
    return int(cache.incr(key))


def note_email_request(ip: str) -> None:
    """Count a request that sends an email (registration, password reset) from this address."""
    if bump_counter(counter_key("email-requests", ip), 3600) > EMAIL_REQUESTS_PER_HOUR:
        raise PortalError(
            _("Too many requests from your network. Please try again in an hour."), "rate_limited"
        )


def sign_in(email: str, password: str, ip: str) -> PortalAccount:
    """Check a patient's credentials, with a lockout for LOCKOUT_SECONDS after LOGIN_FAILURE_LIMIT
    failures for the email from one address, ACCOUNT_FAILURE_LIMIT from anywhere, or
    ADDRESS_FAILURE_LIMIT from one address over every email.
    Raises PortalError with a message to show."""
    here, anywhere = counter_key("login-failures", email, ip), counter_key("login-failures", email)
    address = counter_key("login-failures-address", ip)
    counts = cache.get_many([here, anywhere, address])
    if (
        int(counts.get(here, 0)) >= LOGIN_FAILURE_LIMIT
        or int(counts.get(anywhere, 0)) >= ACCOUNT_FAILURE_LIMIT
        or int(counts.get(address, 0)) >= ADDRESS_FAILURE_LIMIT
    ):
        raise PortalError(
            _("Too many failed attempts. Try again in %(minutes)d minutes, or reset your password.")
            % {"minutes": LOCKOUT_SECONDS // 60},
            "locked",
        )
    account = PortalAccount.objects.select_related("patient").filter(email__iexact=email.strip()).first()
    if account is None:
        PortalAccount(password=_DUMMY_HASH).check_password(password)  # same time as a real check
    if account is None or not account.check_password(password) or not account.is_active:
        bump_counter(here, LOCKOUT_SECONDS)
        bump_counter(anywhere, LOCKOUT_SECONDS)
        bump_counter(address, LOCKOUT_SECONDS)
        raise PortalError(_(SIGN_IN_ERROR), "credentials")
    cache.delete_many([here, anywhere])
    if not account.is_verified:
        send_verification_email(account)
        raise PortalError(
            _("Please confirm your email address first. We have sent you a new confirmation link."),
            "unverified",
        )
    return account


def request_password_reset(email: str) -> None:
    """Email a reset link when the address has an account; say nothing either way."""
    account = PortalAccount.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if account is None:
        return
    token = tokens.password_reset_tokens.make_token(account)  # type: ignore[arg-type]
    link = practice_link("portal:password_reset_confirm", account.pk, token)
    queue_email(
        account.email,
        gettext_lazy("Reset your portal password"),
        "portal/email/password_reset.txt",
        {"link": link},
        language=email_language(account.patient),
    )


def account_for_reset(account_id: str, token: str) -> PortalAccount | None:
    account = PortalAccount.objects.filter(pk=account_id, is_active=True).first()
    if account is None or not tokens.password_reset_tokens.check_token(account, token):  # type: ignore[arg-type]
        return None
    return account


def reset_password(account: PortalAccount, password: str) -> None:
    _check_password_rules(password)
    account.set_password(password)
    # Following the link proves the inbox, so an unconfirmed address is confirmed by it too.
    account.email_verified_at = account.email_verified_at or timezone.now()
    account.save(update_fields=["password", "email_verified_at"])
    # Every session opened with the old password ends, and its sockets close.
    end_portal_sessions_of(account)
