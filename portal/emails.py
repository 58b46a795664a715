"""Emails to patients from the portal: in the patient's language, dates in the given zone."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
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
    """Like send_email, but through the outbox (notifications.account_emails): the email is a
    row of the caller's transaction, sent by the workers once it commits."""
    subject, body = render_email(subject, template, context, zone, language)
    queue_account_email(to=to, subject=subject, body=body, practice_schema=current_schema())


def send_email(
    to: str,
    subject: str | Promise,
    template: str,
    context: dict[str, object],
    zone: str = "UTC",
    language: str | None = None,
) -> None:
    subject, body = render_email(subject, template, context, zone, language)
    send_mail(subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[to])
