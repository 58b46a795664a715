"""Message wording: {placeholders} from a fixed list, checked when a template is saved.

Deliberately not the Django template language: a template can reach nothing but these values,
so no clinical detail (notes, diagnoses, the visit's reason) can end up in a message."""

import html
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from notifications.models import Channel, Kind, Language

PLACEHOLDERS = {
    "practice_name": "The practice's name",
    "patient_first_name": "The patient's first name",
    "date": "The appointment's date, e.g. Tuesday 3 March",
    "time": "The appointment's local start time, e.g. 9:30 AM",
    "location": "The location's name and address",
    "link": "A link to view, confirm or change the appointment",
    # Only filled in for appointment types the practice marked as safe to name; otherwise "appointment".
    "appointment_type": "The appointment type's name, for types marked safe to name",
}
_TOKEN = re.compile(r"\{([^{}]*)\}")
# CANCEL is one of Twilio's default opt-out keywords: a patient told to reply CANCEL is unsubscribed
# from every text of the practice, unless its Messaging Service has Advanced Opt-Out without CANCEL.
# Messages ask for X instead; a practice's own wording that asks for CANCEL gets a warning.
_REPLY_CANCEL = re.compile(r"\bCANCEL\b|[\"'\u201c\u2018](?i:cancel)[\"'\u201d\u2019]")
SMS_MAX_CHARS = 480  # three concatenated segments


def placeholders_in(text: str) -> list[str]:
    return _TOKEN.findall(text)


def asks_to_reply_cancel(text: str) -> bool:
    """True when an SMS tells patients to reply CANCEL (as a word of its own: "X to cancel" is fine)."""
    return bool(_REPLY_CANCEL.search(text))


def validate_template_text(text: str, *, allow_type_name: bool) -> None:
    """Raise ValidationError naming every placeholder that is not allowed."""
    problems = []
    for name in placeholders_in(text):
        if name not in PLACEHOLDERS:
            problems.append(f"{{{name}}} is not a placeholder you can use.")
        elif name == "appointment_type" and not allow_type_name:
            problems.append(
                "{appointment_type} needs at least one appointment type marked as safe to name in messages."
            )
    stray = _TOKEN.sub("", text)
    if "{" in stray or "}" in stray:
        problems.append("A brace is not closed: write placeholders like {date}.")
    if problems:
        allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
        raise ValidationError([*problems, f"Allowed placeholders: {allowed}."])


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(text: str, values: dict[str, str], *, escape: bool = False) -> str:
    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(1), "")
        return html.escape(value) if escape else value

    return _TOKEN.sub(substitute, text)


SAMPLE_VALUES = {
    "practice_name": "Riverside Family Medicine",
    "patient_first_name": "Maria",
    "date": "Tuesday 3 March",
    "time": "9:30 AM",
    "location": "Main Street Clinic, 12 Main Street",
    "link": "https://riverside.example.com/a/sample",
    "appointment_type": "appointment",
}

_EN = {
    Kind.REMINDER: (
        "Appointment reminder",
        "{practice_name}: reminder of your appointment on {date} at {time}, {location}. "
        "Reply C to confirm, X to cancel, R to reschedule. {link}",
    ),
    Kind.CONFIRMATION: (
        "Your appointment is booked",
        "{practice_name}: your appointment is booked for {date} at {time}, {location}. {link}",
    ),
    Kind.RESCHEDULED: (
        "Your appointment has moved",
        "{practice_name}: your appointment is now on {date} at {time}, {location}. {link}",
    ),
    Kind.CANCELLED: (
        "Your appointment is cancelled",
        "{practice_name}: your appointment on {date} at {time} is cancelled. To book again: {link}",
    ),
    Kind.NEW_MESSAGE: (
        "New secure message",
        "{practice_name}: you have a new secure message. Sign in to read it: {link}",
    ),
    Kind.WAITLIST_OFFER: (
        "An earlier appointment is available",
        "{practice_name}: an appointment has opened up at {location} on {date} at {time}. It is offered "
        "to a few people on the waiting list; the first to claim it gets it. Claim it before {expires}: "
        "{link}",
    ),
    Kind.WAITLIST_TAKEN: (
        "The appointment you were offered has been taken",
        "{practice_name}: the appointment you were offered has been taken by someone else. You are still "
        "on the waiting list, and we will tell you when another one opens up.",
    ),
    Kind.INTAKE_FOLLOW_UP: (
        "Please complete your forms",
        "{practice_name}: please complete your forms before your visit. Sign in to your patient portal "
        "to see what is missing: {link}",
    ),
    Kind.STATEMENT_READY: (
        "Your statement is ready",
        "{practice_name}: your new statement is ready. Sign in to your patient portal to see it and pay "
        "online: {link}",
    ),
    Kind.STATEMENT_REMINDER: (
        "A reminder about your statement",
        "{practice_name}: a reminder that your statement is still open. Sign in to your patient portal to "
        "see it, pay online or ask for a payment plan: {link}",
    ),
    Kind.STATEMENT_FINAL: (
        "Final notice about your statement",
        "{practice_name}: final notice. Your statement is still unpaid. Please pay or set up a payment "
        "plan in your patient portal now, or call us, before the account is sent to collections: {link}",
    ),
}
_ES = {
    Kind.REMINDER: (
        "Recordatorio de cita",
        "{practice_name}: le recordamos su cita el {date} a las {time}, {location}. "
        "Responda C para confirmar, X para cancelar, R para cambiarla. {link}",
    ),
    Kind.CONFIRMATION: (
        "Su cita está reservada",
        "{practice_name}: su cita está reservada para el {date} a las {time}, {location}. {link}",
    ),
    Kind.RESCHEDULED: (
        "Su cita ha cambiado",
        "{practice_name}: su cita es ahora el {date} a las {time}, {location}. {link}",
    ),
    Kind.CANCELLED: (
        "Su cita está cancelada",
        "{practice_name}: su cita del {date} a las {time} está cancelada. Para reservar de nuevo: {link}",
    ),
    Kind.NEW_MESSAGE: (
        "Nuevo mensaje seguro",
        "{practice_name}: tiene un nuevo mensaje seguro. Inicie sesión para leerlo: {link}",
    ),
    Kind.WAITLIST_OFFER: (
        "Hay disponible una cita más próxima",
        "{practice_name}: se liberó una cita en {location} el {date} a las {time}. Se ofrece a algunas "
        "personas de la lista de espera; la cita es para quien la reclame primero. Reclámela antes del "
        "{expires}: {link}",
    ),
    Kind.WAITLIST_TAKEN: (
        "La cita que le ofrecimos ya fue tomada",
        "{practice_name}: otra persona tomó la cita que le ofrecimos. Usted sigue en la lista de espera y "
        "le avisaremos cuando se libere otra.",
    ),
    Kind.INTAKE_FOLLOW_UP: (
        "Complete sus formularios",
        "{practice_name}: complete sus formularios antes de su consulta. Inicie sesión en su portal de "
        "pacientes para ver qué falta: {link}",
    ),
    Kind.STATEMENT_READY: (
        "Su estado de cuenta está listo",
        "{practice_name}: su nuevo estado de cuenta está listo. Inicie sesión en su portal de pacientes "
        "para verlo y pagar en línea: {link}",
    ),
    Kind.STATEMENT_REMINDER: (
        "Un recordatorio sobre su estado de cuenta",
        "{practice_name}: le recordamos que su estado de cuenta sigue pendiente. Inicie sesión en su portal "
        "de pacientes para verlo, pagar en línea o pedir un plan de pagos: {link}",
    ),
    Kind.STATEMENT_FINAL: (
        "Aviso final sobre su estado de cuenta",
        "{practice_name}: aviso final. Su estado de cuenta sigue sin pagar. Pague o acuerde un plan de "
        "pagos en su portal de pacientes ahora, o llámenos, antes de que la cuenta pase a cobranza: {link}",
    ),
}
DEFAULTS = {Language.ENGLISH: _EN, Language.SPANISH: _ES}


def default_wording(kind: str, channel: str, language: str) -> tuple[str, str, str]:
    """(subject, text, html) used when the practice has not written its own template."""
    subject, text = DEFAULTS.get(Language(language), _EN)[Kind(kind)]
    body_html = "" if channel == Channel.SMS else f"<p>{html.escape(text)}</p>"
    return subject, text, body_html
