"""Messages to patients. Bodies never carry clinical detail: no appointment type, no notes,
only the practice, a date and time, and a link. SMS delivery and reminders plug in here."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from patients.models import Patient


def notify_patient(patient: Patient, *, subject: str, template: str, context: dict[str, object]) -> bool:
    """Email the patient if they have an address; returns whether a message was sent."""
    if not patient.email:
        return False
    body = render_to_string(template, context)
    send_mail(
        subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[patient.email]
    )
    return True
