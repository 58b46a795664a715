"""Portal writes: accounts (registration, invitations, sign-in, password reset) and the patient's
own bookings, which go through the scheduling engine with source=portal."""

import datetime
import hashlib
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from portal import tokens
from portal.calendar import appointment_ics
from portal.errors import PortalError
from portal.models import PortalAccount
from practica.core.links import practice_host, practice_url
from practica.core.tenancy import current_schema
from practica.patients.models import Patient, PatientProfile
from practica.patients.selectors import preferred_language
from practica.scheduling.booking import Booking, book_appointment, cancel_appointment, reschedule_appointment
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from tenants.models import Practice

LOGIN_FAILURE_LIMIT = 5  # per email and network address
# Per email from any address: slows a guesser who spreads over many addresses, while staying
# high enough that a stranger cannot easily lock a patient out.
ACCOUNT_FAILURE_LIMIT = 20
LOCKOUT_SECONDS = 15 * 60
# Registration and reset requests send email: cap them per network address.
EMAIL_REQUESTS_PER_HOUR = 10
SIGN_IN_ERROR = gettext_noop("That email and password do not match a portal account at this practice.")


def current_practice() -> Practice:
    return Practice.objects.get(schema_name=current_schema())


def portal_link(path: str) -> str:
    return practice_url(current_practice().slug, path)


def email_language(patient: Patient | None) -> str:
    """A patient's email speaks their profile language; without one, the page's (the language the
    patient is using the portal in, or English in the back office)."""
    return (patient and preferred_language(patient)) or translation.get_language() or settings.LANGUAGE_CODE


def _email(
    to: str,
    subject: str | Promise,
    template: str,
    context: dict[str, object],
    zone: str = "UTC",
    language: str | None = None,
) -> None:
    context = {"practice": current_practice(), **context}
    # Dates in the body read in this zone; words and month names in the patient's language.
    with timezone.override(ZoneInfo(zone)), translation.override(language or email_language(None)):
        body = render_to_string(template, context)
        subject = str(subject)
    send_mail(subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[to])


def _check_password_rules(password: str, field: str = "password") -> None:
    try:
        validate_password(password)
    except ValidationError as error:
        raise PortalError(" ".join(str(message) for message in error.messages), field) from error


# --- registration and invitations -------------------------------------------------------------


def send_verification_email(account: PortalAccount) -> None:
    link = portal_link(f"/portal/verify/{tokens.make_verification_token(account)}/")
    _email(
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
    _check_password_rules(password)
    email = email.strip()
    existing = PortalAccount.objects.filter(email__iexact=email).first()
    if existing is not None:
        _email(
            existing.email,
            gettext_lazy("Someone tried to register with your email"),
            "portal/email/already_registered.txt",
            {"login": portal_link("/portal/login/"), "reset": portal_link("/portal/password-reset/")},
            language=email_language(existing.patient),
        )
        return None
    try:
        with transaction.atomic():
            patient = Patient.objects.create(
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                date_of_birth=date_of_birth,
                email=email,
            )
            if language:
                PatientProfile.objects.create(patient=patient, preferred_language=language)
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
    link = portal_link(f"/portal/invite/{token}/")
    _email(
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


def _counter_key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).lower().encode()).hexdigest()[:32]
    return f"portal-{kind}:{digest}"  # the cache adds the practice schema in front


def _bump(key: str, window_seconds: int) -> int:
    cache.add(key, 0, window_seconds)  # starts the window only on the first hit
    return int(cache.incr(key))


def note_email_request(ip: str) -> None:
    """Count a request that sends an email (registration, password reset) from this address."""
    if _bump(_counter_key("email-requests", ip), 3600) > EMAIL_REQUESTS_PER_HOUR:
        raise PortalError(
            _("Too many requests from your network. Please try again in an hour."), "rate_limited"
        )


def sign_in(email: str, password: str, ip: str) -> PortalAccount:
    """Check a patient's credentials, with a lockout for LOCKOUT_SECONDS after LOGIN_FAILURE_LIMIT
    failures for the email from one address, or ACCOUNT_FAILURE_LIMIT from anywhere.
    Raises PortalError with a message to show."""
    here, anywhere = _counter_key("login-failures", email, ip), _counter_key("login-failures", email)
    if int(cache.get(here, 0)) >= LOGIN_FAILURE_LIMIT or int(cache.get(anywhere, 0)) >= ACCOUNT_FAILURE_LIMIT:
        raise PortalError(
            _("Too many failed attempts. Try again in %(minutes)d minutes, or reset your password.")
            % {"minutes": LOCKOUT_SECONDS // 60},
            "locked",
        )
    account = PortalAccount.objects.select_related("patient").filter(email__iexact=email.strip()).first()
    if account is None:
        PortalAccount(password=_DUMMY_HASH).check_password(password)  # same time as a real check
    if account is None or not account.check_password(password) or not account.is_active:
        _bump(here, LOCKOUT_SECONDS)
        _bump(anywhere, LOCKOUT_SECONDS)
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
    link = portal_link(f"/portal/password-reset/{account.pk}/{token}/")
    _email(
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


# --- bookings -----------------------------------------------------------------------------------


def _appointment_links(appointment: Appointment) -> dict[str, str]:
    base = f"/portal/appointments/{appointment.pk}/"
    return {
        "manage": portal_link(base),
        "reschedule": portal_link(base + "reschedule/"),
        "cancel": portal_link(base + "cancel/"),
        "ics": portal_link(base + "calendar.ics"),
    }


def appointment_calendar_file(appointment: Appointment) -> bytes:
    practice = current_practice()
    return appointment_ics(
        appointment,
        practice_name=practice.name,
        manage_url=_appointment_links(appointment)["manage"],
        host=practice_host(practice.slug),
    )


def send_booking_confirmation(appointment: Appointment, account: PortalAccount, *, rescheduled: bool) -> None:
    """Confirmation email with the .ics attached. Date, time, place and links only: never the type."""
    zone = ZoneInfo(appointment.location.time_zone)
    context = {
        "practice": current_practice(),
        "local_start": appointment.start.astimezone(zone),
        "zone": appointment.location.time_zone,
        "location": appointment.location,
        "rescheduled": rescheduled,
        **_appointment_links(appointment),
    }
    # The date filter shows the current zone: make it the location's; the words, the patient's.
    with timezone.override(zone), translation.override(email_language(account.patient)):
        body = render_to_string("portal/email/booked.txt", context)
        subject = _("Your appointment has been moved") if rescheduled else _("Your appointment is booked")
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [account.email])
    message.attach("appointment.ics", appointment_calendar_file(appointment), "text/calendar")
    message.send()


def book_for_patient(
    account: PortalAccount,
    *,
    appointment_type: AppointmentType,
    provider: Provider,
    location: Location,
    start: datetime.datetime,
    patient: Patient | None = None,
) -> Booking:
    """Books for the account's own record, or for `patient` when a guardian acts for a child (the
    caller has checked the proxy link); the confirmation goes to the account's email."""
    booking = book_appointment(
        patient=patient or account.patient,
        appointment_type=appointment_type,
        provider=provider,
        location=location,
        start=start,
        source=Appointment.Source.PORTAL,
    )
    transaction.on_commit(lambda: send_booking_confirmation(booking.appointment, account, rescheduled=False))
    return booking


def reschedule_for_patient(
    account: PortalAccount, appointment: Appointment, *, start: datetime.datetime, provider: Provider
) -> Booking:
    booking = reschedule_appointment(
        appointment, start=start, provider=provider, source=Appointment.Source.PORTAL
    )
    transaction.on_commit(lambda: send_booking_confirmation(booking.appointment, account, rescheduled=True))
    return booking


def cancel_for_patient(account: PortalAccount, appointment: Appointment, reason: str = "") -> Appointment:
    cancelled = cancel_appointment(appointment, by_patient=True, reason=reason)
    zone = ZoneInfo(appointment.location.time_zone)
    transaction.on_commit(
        lambda: _email(
            account.email,
            gettext_lazy("Your appointment is cancelled"),
            "portal/email/cancelled.txt",
            {
                "local_start": appointment.start.astimezone(zone),
                "zone": appointment.location.time_zone,
                "late": cancelled.late_cancel,
                "book": portal_link("/portal/book/"),
            },
            zone=appointment.location.time_zone,
            language=email_language(account.patient),
        )
    )
    return cancelled
