"""What a patient's SMS to the practice does: confirm, cancel, reschedule link, opt out/in, help,
or land in the practice's inbox. Runs in the practice's schema; replies are plain text for TwiML."""

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, Func, Value
from django.utils import formats, timezone

from notifications.links import reschedule_page
from notifications.models import InboundMessage, SmsOptOut
from notifications.phones import to_e164
from notifications.policy import current_policy
from patients.models import Patient
from scheduling.booking import cancel_appointment, set_status
from scheduling.errors import SchedulingError
from scheduling.models import Appointment

Handling = InboundMessage.Handling
OPT_OUT = {"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "OPTOUT", "REVOKE"}
OPT_IN = {"START", "UNSTOP"}
HELP = {"HELP", "INFO"}
CONFIRM = {"C", "Y", "YES", "CONFIRM"}
# CANCEL reaches us as a command only where the practice's Messaging Service has Advanced Opt-Out
# without it: by default Twilio opts the sender out and says so with OptOutType (see handle_sms).
CANCEL = {"X", "CANCEL"}
RESCHEDULE = {"R", "RESCHEDULE"}


@dataclass(frozen=True)
class Outcome:
    handling: str
    reply: str  # empty: no reply


def keyword(body: str) -> str:
    """'  yes! ' -> 'YES': case, spaces and punctuation do not matter."""
    return re.sub(r"[^A-Z]", "", body.upper())


def patients_with(phone: str) -> list[Patient]:
    digits = re.sub(r"\D", "", phone)[-10:]
    candidates = Patient.objects.annotate(
        digits=Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace")
    ).filter(digits__endswith=digits)
    return [p for p in candidates if to_e164(p.phone) == phone]


def handle_sms(*, from_phone: str, body: str, message_sid: str, opt_out_type: str = "") -> Outcome:
    """`opt_out_type`: Twilio's OptOutType (STOP, START or HELP) when it has already acted on the
    message as a keyword of the Messaging Service."""
    now = timezone.now()
    phone = to_e164(from_phone) or from_phone
    word = keyword(body)
    tenant = connection.tenant  # type: ignore[attr-defined]
    policy = current_policy()
    patients = patients_with(phone)
    patient = patients[0] if len(patients) == 1 else None
    appointment: Appointment | None = None

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
        SmsOptOut.objects.get_or_create(phone=phone, defaults={"keyword": word[:20]})
        return record(
            Handling.OPTED_OUT, f"{tenant.name}: you will get no more texts from us. Reply START to resume."
        )
    if word in OPT_IN:
        SmsOptOut.objects.filter(phone=phone).delete()
        return record(Handling.OPTED_IN, f"{tenant.name}: texts are back on. Reply STOP to opt out.")
    contact = policy.contact_phone or "the practice"
    if word in HELP:
        return record(Handling.HELP, f"{tenant.name}: for help call {contact}. Reply STOP to opt out.")
    opted_out = SmsOptOut.objects.filter(phone=phone).exists()
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
            f"{tenant.name}: "
            f"we could not find an upcoming appointment for this number. Please call {contact}."
            if not upcoming
            else f"{tenant.name}: you have more than one upcoming appointment. Please call {contact}."
        )
        return record(Handling.NEEDS_STAFF, "" if opted_out else reply)
    appointment = upcoming[0]
    when = _when(appointment)
    if word in CONFIRM:
        if appointment.status == Appointment.Status.BOOKED:
            set_status(appointment, Appointment.Status.CONFIRMED)
        return record(
            Handling.CONFIRMED, "" if opted_out else f"{tenant.name}: thank you, {when} is confirmed."
        )
    if word in CANCEL:
        try:
            cancel_appointment(appointment, by_patient=True, reason="Cancelled by text reply")
        except SchedulingError as error:
            return record(Handling.NEEDS_STAFF, "" if opted_out else f"{tenant.name}: {error}")
        return record(Handling.CANCELLED, "" if opted_out else f"{tenant.name}: {when} is cancelled.")
    link = reschedule_page(appointment)
    return record(
        Handling.RESCHEDULE_LINK,
        "" if opted_out else f"{tenant.name}: to choose a new time for {when}: {link}",
    )


# Twilio acted on these before we saw the message, and sent its own answer to the patient: ours
# would be a second one (or, after STOP, refused by Twilio).
TWILIO_HANDLED = {"STOP", "START", "HELP"}


def _mirror_twilio(opt_out_type: str, phone: str, word: str) -> str:
    """Record what Twilio did, whatever the word was (CANCEL is one of its default opt-out keywords):
    after STOP, Twilio refuses to send this number anything, appointment replies included."""
    if opt_out_type == "STOP":
        SmsOptOut.objects.get_or_create(phone=phone, defaults={"keyword": (word or "STOP")[:20]})
        return Handling.OPTED_OUT
    if opt_out_type == "START":
        SmsOptOut.objects.filter(phone=phone).delete()
        return Handling.OPTED_IN
    return Handling.HELP


def _when(appointment: Appointment) -> str:
    local = appointment.start.astimezone(ZoneInfo(appointment.location.time_zone))
    return (
        f"your appointment on {formats.date_format(local, 'l j F')} at {formats.time_format(local, 'g:i A')}"
    )
