"""What a patient's SMS to the practice does: confirm, cancel, reschedule link, opt out/in, help,
or land in the practice's inbox. Runs in the practice's schema; replies are plain text for TwiML,
in the patient's language (their profile's; else Spanish for a Spanish keyword; else the
practice's default), worded in the project's translation catalog."""

import re
import unicodedata
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from notifications import consent
from notifications.language import patient_language
from notifications.links import reschedule_page
from notifications.models import InboundMessage
from notifications.phones import to_e164
from notifications.policy import current_policy
from practica.core import times
from practica.patients.models import Language, Patient
from practica.scheduling.booking import cancel_appointment, set_status
from practica.scheduling.errors import SchedulingError
from practica.scheduling.models import Appointment

Handling = InboundMessage.Handling
# Twilio itself handles its default keywords before (and besides) this webhook: STOP, STOPALL,
# UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT block further texts; START, YES, UNSTOP lift the
# block; HELP, INFO get Twilio's standard reply. None of the Spanish words below is one of them, so
# Twilio lets PARAR, ALTO and BAJA through as ordinary messages: the opt-out is ours to record, and
# sends skip opted-out numbers (notifications.consent). CANCELAR is safe to act on for the same reason.
SPANISH_OPT_OUT = {"PARAR", "ALTO", "BAJA"}
SPANISH_HELP = {"AYUDA"}
SPANISH_CONFIRM = {"SI", "CONFIRMAR"}  # SÍ and sí too: accents do not matter (see keyword)
SPANISH_CANCEL = {"CANCELAR"}
SPANISH_RESCHEDULE = {"CAMBIAR", "REPROGRAMAR"}
SPANISH = SPANISH_OPT_OUT | SPANISH_HELP | SPANISH_CONFIRM | SPANISH_CANCEL | SPANISH_RESCHEDULE

OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "OPTOUT", "REVOKE"} | SPANISH_OPT_OUT
OPT_IN = {"START", "UNSTOP"}
HELP = {"HELP", "INFO"} | SPANISH_HELP
CONFIRM = {"C", "Y", "YES", "CONFIRM"} | SPANISH_CONFIRM
# CANCEL reaches us as a command only where the practice's Messaging Service has Advanced Opt-Out
# without it: by default Twilio opts the sender out and says so with OptOutType (see handle_sms).
CANCEL = {"X", "CANCEL"} | SPANISH_CANCEL
RESCHEDULE = {"R", "RESCHEDULE"} | SPANISH_RESCHEDULE


@dataclass(frozen=True)
class Outcome:
    handling: str
    reply: str  # empty: no reply


def keyword(body: str) -> str:
    """'  yes! ' -> 'YES', '¡Sí!' -> 'SI': case, accents, spaces and punctuation do not matter."""
    unaccented = "".join(c for c in unicodedata.normalize("NFKD", body) if not unicodedata.combining(c))
    return re.sub(r"[^A-Z]", "", unaccented.upper())


def reply_language(patient: Patient | None, word: str) -> str:
    """The patient's language (notifications.language), a Spanish keyword being the hint."""
    return patient_language(patient, hint=Language.SPANISH if word in SPANISH else None)


def patients_with(phone: str) -> list[Patient]:
    """The patients whose number is `phone` (an E.164 number, as Twilio sends it): one indexed
    equality, since numbers are stored in E.164 (practica.patients.phones)."""
    return list(Patient.objects.filter(phone=phone).select_related("profile"))


def handle_sms(*, from_phone: str, body: str, message_sid: str, opt_out_type: str = "") -> Outcome:
    """`opt_out_type`: Twilio's OptOutType (STOP, START or HELP) when it has already acted on the
    message as a keyword of the Messaging Service."""
    patients = patients_with(to_e164(from_phone) or from_phone)
    patient = patients[0] if len(patients) == 1 else None
    language = reply_language(patient, keyword(body))
    with translation.override(language):
        return _handle(
            from_phone=from_phone,
            body=body,
            message_sid=message_sid,
            patients=patients,
            opt_out_type=opt_out_type,
        )


def _handle(
    *, from_phone: str, body: str, message_sid: str, patients: list[Patient], opt_out_type: str
) -> Outcome:
    now = timezone.now()
    phone = to_e164(from_phone) or from_phone
    word = keyword(body)
    tenant = connection.tenant  # type: ignore[attr-defined]
    policy = current_policy()
    patient = patients[0] if len(patients) == 1 else None
    appointment: Appointment | None = None
    name = tenant.name

    def record(handling: str, reply: str) -> Outcome:
        InboundMessage.objects.create(
            from_phone=phone,
            body=body[:1600],
            provider_message_id=message_sid,
            patient=patient,
            appointment=appointment,
            handling=handling,
        )
        return Outcome(handling, reply)

    twilio_did = opt_out_type.upper()
    if twilio_did in TWILIO_HANDLED:
        handling = _mirror_twilio(twilio_did, phone, word)
        # YES is also one of Twilio's opt-in words: once mirrored, it still confirms the appointment.
        if twilio_did != "START" or word not in CONFIRM | CANCEL | RESCHEDULE:
            return record(handling, "")
    if word in OPT_OUT:
        consent.opt_out(phone, keyword=word)
        return record(
            Handling.OPTED_OUT,
            _("%(practice)s: you will get no more texts from us. Reply START to resume.")
            % {"practice": name},
        )
    if word in OPT_IN:
        consent.opt_in(phone)
        return record(
            Handling.OPTED_IN,
            _("%(practice)s: texts are back on. Reply STOP to opt out.") % {"practice": name},
        )
    contact = policy.contact_phone or _("the practice")
    if word in HELP:
        return record(
            Handling.HELP,
            _("%(practice)s: for help call %(contact)s. Reply STOP to opt out.")
            % {"practice": name, "contact": contact},
        )
    opted_out = consent.is_opted_out(phone)
    if word not in CONFIRM | CANCEL | RESCHEDULE:
        return record(Handling.NEEDS_STAFF, "")  # for the inbox; nothing is echoed back
    upcoming = (
        list(
            Appointment.objects.filter(
                patient__in=patients, status__in=Appointment.ACTIVE_STATUSES[:2], start__gt=now
            ).select_related("location")[:2]
        )
        if patients
        else []
    )
    if len(upcoming) != 1:
        reply = (
            _(
                "%(practice)s: we could not find an upcoming appointment for this number. "
                "Please call %(contact)s."
            )
            if not upcoming
            else _("%(practice)s: you have more than one upcoming appointment. Please call %(contact)s.")
        ) % {"practice": name, "contact": contact}
        return record(Handling.NEEDS_STAFF, "" if opted_out else reply)
    appointment = upcoming[0]
    when = _when(appointment)
    if word in CONFIRM:
        if appointment.status == Appointment.Status.BOOKED:
            set_status(appointment, Appointment.Status.CONFIRMED)
        confirmed = _("%(practice)s: thank you, %(when)s is confirmed.") % {"practice": name, "when": when}
        return record(Handling.CONFIRMED, "" if opted_out else confirmed)
    if word in CANCEL:
        try:
            cancel_appointment(appointment, by_patient=True, reason="Cancelled by text reply")
        except SchedulingError as error:
            return record(Handling.NEEDS_STAFF, "" if opted_out else f"{name}: {error}")
        cancelled = _("%(practice)s: %(when)s is cancelled.") % {"practice": name, "when": when}
        return record(Handling.CANCELLED, "" if opted_out else cancelled)
    link = reschedule_page(appointment)
    moving = _("%(practice)s: to choose a new time for %(when)s: %(link)s") % {
        "practice": name,
        "when": when,
        "link": link,
    }
    return record(Handling.RESCHEDULE_LINK, "" if opted_out else moving)


# Twilio acted on these before we saw the message, and sent its own answer to the patient: ours
# would be a second one (or, after STOP, refused by Twilio).
TWILIO_HANDLED = {"STOP", "START", "HELP"}


def _mirror_twilio(opt_out_type: str, phone: str, word: str) -> str:
    """Record what Twilio did, whatever the word was (CANCEL is one of its default opt-out keywords):
    after STOP, Twilio refuses to send this number anything, appointment replies included."""
    if opt_out_type == "STOP":
        consent.opt_out(phone, keyword=word or "STOP")
        return Handling.OPTED_OUT
    if opt_out_type == "START":
        consent.opt_in(phone)
        return Handling.OPTED_IN
    return Handling.HELP


def _when(appointment: Appointment) -> str:
    """'your appointment on Tuesday 3 March at 9:30 AM', in the active language."""
    local = appointment.start.astimezone(ZoneInfo(appointment.location.time_zone))
    return _("your appointment on %(date)s at %(time)s") % {
        "date": formats.date_format(local, _("l j F")),
        "time": times.time_text(local, appointment.location),
    }
