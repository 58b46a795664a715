"""The portal's account emails (confirm your address, someone tried to register with it, a staff
invitation, a password reset, a second factor changed): in the patient's language, dates in the
given zone, written as rows of the caller's transaction (notifications.account_emails) and sent by
the workers once it commits, never from inside the request.

What a patient is told about their care (bookings, waitlist, forms, messages) is not sent here
but planned as outbox rows (notifications)."""

from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise

from notifications.account_emails import queue_account_email
from notifications.language import patient_language
from portal.links import current_practice
from practica.core.tenancy import current_schema
from practica.patients.models import Patient


def email_language(patient: Patient | None) -> str:
    """The patient's language (notifications.language), the page's being the hint: the language
    they are using the portal in (English in the back office)."""
    return patient_language(patient, hint=translation.get_language())


def render_email(
    subject: str | Promise, template: str, context: dict[str, object], zone: str, language: str | None
) -> tuple[str, str]:
    context = {"practice": current_practice(), **context}
    # Dates in the body read in this zone; words and month names in the patient's language.
    with timezone.override(ZoneInfo(zone)), translation.override(language or email_language(None)):
        return str(subject), render_to_string(template, context)


def queue_email(
    to: str,
    subject: str | Promise,
    template: str,
    context: dict[str, object],
    zone: str = "UTC",
    language: str | None = None,
) -> None:
    """The email is a row of the caller's transaction (notifications.account_emails), sent by the
    workers once it commits and tried again while the mail server is down."""
    subject, body = render_email(subject, template, context, zone, language)
    queue_account_email(to=to, subject=subject, body=body, practice_schema=current_schema())
