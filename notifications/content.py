"""What a notification says: the practice's template (or the default) filled with safe values only."""

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import formats, translation

from notifications.links import appointment_page, booking_page
from notifications.models import Channel, Kind, MessageTemplate, Notification, ReminderPolicy
from notifications.policy import current_policy
from notifications.templating import Rendered, default_wording, render
from patients.models import Language, PatientProfile
from scheduling.models import Appointment

GENERIC_VISIT = {"en": "appointment", "es": "cita"}


class Composer:
    """Composes the messages of a practice's appointments with a fixed number of queries, however
    many there are: its templates, the type names marked safe and the patients' languages are read
    once (a sending batch composes up to a claim's worth of messages)."""

    def __init__(self, appointments: Iterable[Appointment], policy: ReminderPolicy | None = None) -> None:
        self.policy = policy or current_policy()
        patient_ids = {a.patient_id for a in appointments}
        self.languages = dict(
            PatientProfile.objects.filter(patient_id__in=patient_ids).values_list(
                "patient_id", "preferred_language"
            )
        )
        self.templates = {
            (t.kind, t.channel, t.language): (t.subject, t.body_text, t.body_html)
            for t in MessageTemplate.objects.all()
        }
        self.safe_type_ids = set(self.policy.safe_type_names.values_list("pk", flat=True))

    def language_for(self, appointment: Appointment) -> str:
        """The patient's profile says which language; without a profile, the practice's default."""
        return self.languages.get(appointment.patient_id) or self.policy.default_language or Language.ENGLISH

    def wording(self, kind: str, channel: str, language: str) -> tuple[str, str, str]:
        return self.templates.get((kind, channel, language)) or default_wording(kind, channel, language)

    def values_for(self, appointment: Appointment, language: str, kind: str) -> dict[str, str]:
        """The only values a template can use. The type's name only when the practice marked it safe."""
        tenant = connection.tenant  # type: ignore[attr-defined]
        location = appointment.location
        local = appointment.start.astimezone(ZoneInfo(location.time_zone))
        with translation.override(language):
            date = formats.date_format(local, "l j F")
            time = formats.time_format(local, "g:i A" if language == "en" else "H:i")
        return {
            "practice_name": tenant.name,
            "patient_first_name": appointment.patient.first_name,
            "date": date,
            "time": time,
            "location": ", ".join(part for part in (location.name, location.address) if part),
            "link": booking_page() if kind == Kind.CANCELLED else appointment_page(appointment),
            "appointment_type": appointment.appointment_type.name
            if appointment.appointment_type_id in self.safe_type_ids
            else GENERIC_VISIT.get(language, "appointment"),
        }

    def compose(self, notification: Notification) -> Rendered:
        appointment = notification.appointment
        language = self.language_for(appointment)
        subject, text, body_html = self.wording(notification.kind, notification.channel, language)
        values = self.values_for(appointment, language, notification.kind)
        return Rendered(
            subject=render(subject, values),
            text=render(text, values),
            html=render(body_html, values, escape=True) if notification.channel == Channel.EMAIL else "",
        )


def compose(notification: Notification) -> Rendered:
    """One message (a batch of them: Composer)."""
    return Composer([notification.appointment]).compose(notification)
