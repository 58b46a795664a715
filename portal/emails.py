"""Emails to patients from the portal: in the patient's language, dates in the given zone."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise

from portal.links import current_practice
from practica.patients.models import Patient
from practica.patients.selectors import preferred_language


def email_language(patient: Patient | None) -> str:
    """A patient's email speaks their profile language; without one, the page's (the language the
    patient is using the portal in, or English in the back office)."""
    return (patient and preferred_language(patient)) or translation.get_language() or settings.LANGUAGE_CODE


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
