"""Emails to patients from the portal: in the patient's language, dates in the given zone."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise

from notifications.language import patient_language
from portal.links import current_practice
from practica.patients.models import Patient


def email_language(patient: Patient | None) -> str:
    """The patient's language (notifications.language), the page's being the hint: the language
    they are using the portal in (English in the back office)."""
    return patient_language(patient, hint=translation.get_language())


def send_email(
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
