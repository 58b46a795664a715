"""What a notification says: the practice's template (or the default) filled with safe values only."""

import uuid
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import formats, translation

from notifications.language import language_for
from notifications.links import (
    appointment_page,
    booking_page,
    intake_forms_page,
    message_thread_page,
    statements_page,
    waitlist_claim_page,
)
from notifications.models import Channel, Kind, MessageTemplate, Notification, ReminderPolicy
from notifications.policy import current_policy
from notifications.templating import Rendered, default_wording, render
from practica.core import times
from practica.patients.models import PatientProfile
from practica.scheduling.models import Appointment

GENERIC_VISIT = {"en": "appointment", "es": "cita"}


class Composer:
    """Composes the messages of a practice's patients with a fixed number of queries, however many
    there are: its templates, the type names marked safe and the patients' languages are read once
    (a sending batch composes up to a claim's worth of messages)."""

    def __init__(self, patient_ids: Iterable[uuid.UUID], policy: ReminderPolicy | None = None) -> None:
        self.policy = policy or current_policy()
        self.languages = dict(
            PatientProfile.objects.filter(patient_id__in=set(patient_ids)).values_list(
                "patient_id", "preferred_language"
            )
        )
        self.templates = {
            (t.kind, t.channel, t.language): (t.subject, t.body_text, t.body_html)
            for t in MessageTemplate.objects.all()
        }
        self.safe_type_ids = set(self.policy.safe_type_names.values_list("pk", flat=True))

    def language_of(self, patient_id: uuid.UUID) -> str:
        return language_for(self.languages.get(patient_id), practice_default=self.policy.default_language)

    def wording(self, kind: str, channel: str, language: str) -> tuple[str, str, str]:
        return self.templates.get((kind, channel, language)) or default_wording(kind, channel, language)

    def values_for(self, appointment: Appointment, language: str, kind: str) -> dict[str, str]:
        """The only values a template can use. The type's name only when the practice marked it safe."""
        tenant = connection.tenant  # type: ignore[attr-defined]
        location = appointment.location
        local = appointment.start.astimezone(ZoneInfo(location.time_zone))
        with translation.override(language):
            date = formats.date_format(local, "l j F")
            time = times.time_text(local, location)
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
        if notification.kind == Kind.NEW_MESSAGE:
            return self._message_notice(notification)
        if notification.kind in (Kind.WAITLIST_OFFER, Kind.WAITLIST_TAKEN):
            return self._waitlist_notice(notification)
        if notification.kind == Kind.INTAKE_FOLLOW_UP:
            return self._intake_follow_up(notification)
        if notification.statement is not None:
            return self._statement_notice(notification)
        appointment = notification.appointment
        assert appointment is not None  # every other kind is about an appointment
        language = self.language_of(appointment.patient_id)
        subject, text, body_html = self.wording(notification.kind, notification.channel, language)
        return _rendered(
            notification, subject, text, body_html, self.values_for(appointment, language, notification.kind)
        )

    def _message_notice(self, notification: Notification) -> Rendered:
        """The fixed wording (not the practice's templates): that there is a message, and a link to
        it; never its content."""
        thread = notification.thread
        assert thread is not None
        tenant = connection.tenant  # type: ignore[attr-defined]
        language = self.language_of(thread.patient_id)
        subject, text, body_html = default_wording(Kind.NEW_MESSAGE, notification.channel, language)
        values = {"practice_name": tenant.name, "link": message_thread_page(thread.pk)}
        return _rendered(notification, subject, text, body_html, values)

    def _waitlist_notice(self, notification: Notification) -> Rendered:
        """Fixed wording: the freed time, where, until when it can be claimed, and the claim link
        (an offer); or that someone else claimed it. Never the appointment type."""
        offer = notification.waitlist_offer
        assert offer is not None
        tenant = connection.tenant  # type: ignore[attr-defined]
        language = self.language_of(offer.entry.patient_id)
        subject, text, body_html = default_wording(notification.kind, notification.channel, language)
        values = {"practice_name": tenant.name}
        if notification.kind == Kind.WAITLIST_OFFER:
            location = offer.location
            with translation.override(language):
                values |= {
                    "location": location.name,
                    "date": formats.date_format(times.in_zone(offer.start, location), "l j F"),
                    "time": times.time_text(offer.start, location),
                    "expires": times.short_datetime_text(offer.expires_at, location),
                    "link": waitlist_claim_page(offer),
                }
        return _rendered(notification, subject, text, body_html, values)

    def _intake_follow_up(self, notification: Notification) -> Rendered:
        """Fixed wording: forms are waiting, and the link to them; never which, nor why."""
        appointment = notification.appointment
        assert appointment is not None
        tenant = connection.tenant  # type: ignore[attr-defined]
        language = self.language_of(appointment.patient_id)
        subject, text, body_html = default_wording(notification.kind, notification.channel, language)
        values = {"practice_name": tenant.name, "link": intake_forms_page(appointment)}
        return _rendered(notification, subject, text, body_html, values)

    def _statement_notice(self, notification: Notification) -> Rendered:
        """Fixed wording: a statement is ready, or still open, and the portal's link; never an
        amount, a visit or a date of service."""
        statement = notification.statement
        assert statement is not None
        tenant = connection.tenant  # type: ignore[attr-defined]
        language = self.language_of(statement.patient_id)
        subject, text, body_html = default_wording(notification.kind, notification.channel, language)
        values = {"practice_name": tenant.name, "link": statements_page()}
        return _rendered(notification, subject, text, body_html, values)


def _rendered(
    notification: Notification, subject: str, text: str, body_html: str, values: dict[str, str]
) -> Rendered:
    return Rendered(
        subject=render(subject, values),
        text=render(text, values),
        html=render(body_html, values, escape=True) if notification.channel == Channel.EMAIL else "",
    )


def compose(notification: Notification) -> Rendered:
    """One message (a batch of them: Composer)."""
    return Composer([notification.patient.pk]).compose(notification)
