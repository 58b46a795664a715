"""Messages to patients. Bodies never carry clinical detail: no appointment type, no notes,
only the practice, a date and time, and a link. SMS delivery and reminders plug in here."""

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import translation

from notifications import crypto
from notifications.account_emails import queue_account_email
from notifications.language import patient_language
from notifications.models import MessageTemplate
from notifications.phones import to_e164
from notifications.policy import current_policy
from notifications.routing.models import PracticeSmsRoute
from notifications.templating import SAMPLE_VALUES, Rendered, render, validate_template_text
from practica.core.tenancy import current_schema
from practica.patients.models import Patient


def notify_patient(patient: Patient, *, subject: str, template: str, context: dict[str, object]) -> bool:
    """Email the patient about what is not an appointment, a thread or a waitlist offer (a pay
    link, a receipt: nothing clinical), in their language: a row of the caller's transaction
    (notifications.account_emails), sent by the workers once it commits and tried again while the
    mail server is down, never from the request. Returns whether one was queued."""
    if not patient.email:
        return False
    with translation.override(patient_language(patient)):
        body = render_to_string(template, context)
    queue_account_email(to=patient.email, subject=subject, body=body, practice_schema=current_schema())
    return True


def validate_template(template: MessageTemplate) -> None:
    """Raise ValidationError (per field) when a template uses anything but the allowed placeholders."""
    allow_type = current_policy().safe_type_names.exists()
    errors: dict[str, list[str]] = {}
    for field in ("subject", "body_text", "body_html"):
        try:
            validate_template_text(getattr(template, field), allow_type_name=allow_type)
        except ValidationError as error:
            errors[field] = error.messages
    if errors:
        raise ValidationError(errors)


def save_template(template: MessageTemplate) -> MessageTemplate:
    validate_template(template)
    template.save()
    return template


def save_sms_route(
    *, account_sid: str, auth_token: str, messaging_service_sid: str, from_number: str
) -> PracticeSmsRoute:
    """Store this practice's Twilio account; the token is encrypted before it reaches the database.
    An empty token keeps the stored one."""
    tenant = connection.tenant  # type: ignore[attr-defined]
    number = to_e164(from_number) if from_number else ""
    if from_number and number is None:
        raise ValidationError({"from_number": "Give the sender as a phone number, e.g. +15551234567."})
    if not messaging_service_sid and not number:
        raise ValidationError("Give a Messaging Service SID or a sender number.")
    with transaction.atomic():
        route = PracticeSmsRoute.objects.filter(practice_id=tenant.pk).first()
        if route is None:
            if not auth_token:
                raise ValidationError({"auth_token": "The auth token is required."})
            route = PracticeSmsRoute(practice_id=tenant.pk)
        route.account_sid = account_sid
        if auth_token:
            route.auth_token_encrypted = crypto.encrypt(auth_token)
        route.messaging_service_sid = messaging_service_sid
        route.from_number = number or ""
        route.full_clean(exclude=["practice"])
        route.save()
    return route


def preview(template: MessageTemplate) -> Rendered:
    """The template filled with sample data, for the settings page; checked like a save."""
    validate_template(template)
    return Rendered(
        subject=render(template.subject, SAMPLE_VALUES),
        text=render(template.body_text, SAMPLE_VALUES),
        html=render(template.body_html, SAMPLE_VALUES, escape=True),
    )
