"""What a notification says: the practice's template (or the default) filled with safe values only."""

import uuid
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import formats, translation

from notifications.links import appointment_page, booking_page, message_thread_page
from notifications.models import Channel, Kind, MessageTemplate, Notification
from notifications.policy import current_policy
from notifications.templating import Rendered, default_wording, render
from patients.models import Language, PatientProfile
from scheduling.models import Appointment

GENERIC_VISIT = {"en": "appointment", "es": "cita"}


def language_for(appointment: Appointment) -> str:
    return language_of(appointment.patient_id)


def language_of(patient_id: uuid.UUID) -> str:
    """The patient's profile says which language; without a profile, the practice's default."""
    chosen = PatientProfile.objects.filter(patient_id=patient_id).values_list("preferred_language", flat=True)
    return chosen.first() or current_policy().default_language or Language.ENGLISH


def values_for(appointment: Appointment, language: str, kind: str = Kind.REMINDER) -> dict[str, str]:
    """The only values a template can use. The type's name only when the practice marked it safe."""
    tenant = connection.tenant  # type: ignore[attr-defined]
    location = appointment.location
    local = appointment.start.astimezone(ZoneInfo(location.time_zone))
    with translation.override(language):
        date = formats.date_format(local, "l j F")
        time = formats.time_format(local, "g:i A" if language == "en" else "H:i")
    type_is_safe = current_policy().safe_type_names.filter(pk=appointment.appointment_type_id).exists()
    return {
        "practice_name": tenant.name,
        "patient_first_name": appointment.patient.first_name,
        "date": date,
        "time": time,
        "location": ", ".join(part for part in (location.name, location.address) if part),
        "link": booking_page() if kind == Kind.CANCELLED else appointment_page(appointment),
        "appointment_type": appointment.appointment_type.name
        if type_is_safe
        else GENERIC_VISIT.get(language, "appointment"),
    }


def wording(kind: str, channel: str, language: str) -> tuple[str, str, str]:
    template = MessageTemplate.objects.filter(kind=kind, channel=channel, language=language).first()
    if template is not None:
        return template.subject, template.body_text, template.body_html
    return default_wording(kind, channel, language)


def compose(notification: Notification) -> Rendered:
    if notification.kind == Kind.NEW_MESSAGE:
        return _compose_message_notice(notification)
    appointment = notification.appointment
    assert appointment is not None  # every other kind is about an appointment
    language = language_for(appointment)
    subject, text, body_html = wording(notification.kind, notification.channel, language)
    values = values_for(appointment, language, notification.kind)
    return Rendered(
        subject=render(subject, values),
        text=render(text, values),
        html=render(body_html, values, escape=True) if notification.channel == Channel.EMAIL else "",
    )


def _compose_message_notice(notification: Notification) -> Rendered:
    """The fixed wording (not the practice's templates): that there is a message, and a link to it;
    never its content."""
    thread = notification.thread
    assert thread is not None
    tenant = connection.tenant  # type: ignore[attr-defined]
    language = language_of(thread.patient_id)
    subject, text, body_html = default_wording(Kind.NEW_MESSAGE, notification.channel, language)
    values = {"practice_name": tenant.name, "link": message_thread_page(thread.pk)}
    return Rendered(
        subject=render(subject, values),
        text=render(text, values),
        html=render(body_html, values, escape=True) if notification.channel == Channel.EMAIL else "",
    )
