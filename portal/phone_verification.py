"""Proving a patient's phone number with a texted code.

The code goes out by SMS through the notifications app's Twilio path with the practice's own
messaging account (or the platform's). It is kept only as a keyed hash, expires after
CODE_TTL, allows MAX_ATTEMPTS guesses, and at most MAX_SENDS_PER_WINDOW codes go to a record in
SEND_WINDOW. The text says the code and the practice's name, nothing else.
"""

import datetime
import secrets

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from notifications import consent, sms
from notifications.phones import to_e164
from portal.errors import PortalError
from portal.models import PhoneVerification
from practica.patients.models import Patient

CODE_TTL = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_SENDS_PER_WINDOW = 3
SEND_WINDOW = datetime.timedelta(hours=1)
OPTED_OUT_MESSAGE = _(
    "This number has asked us to stop texting it (it replied STOP), so we cannot send a code. "
    "Text START to our number to receive texts again, then try once more."
)


def new_code() -> str:
    """Six random digits. A module-level function so tests can choose the code they will type."""
    return f"{secrets.randbelow(10**6):06d}"


def _code_hash(patient: Patient, phone: str, code: str) -> str:
    return salted_hmac("practica.portal.phone-code", f"{patient.pk}:{phone}:{code}").hexdigest()


def verified_phone_of(patient: Patient) -> str | None:
    """The record's phone (E.164) when it is the number last proven by a code, else None: a
    number changed since, by the patient or by staff, is not verified."""
    row = PhoneVerification.objects.filter(patient=patient).first()
    current = to_e164(patient.phone) if patient.phone else None
    if row is None or not row.verified_phone or row.verified_phone != current:
        return None
    return current


def forget_verified_phone(patient: Patient) -> None:
    """The number changed: its proof and any code in flight are void."""
    PhoneVerification.objects.filter(patient=patient).update(
        verified_phone="", verified_at=None, code_hash="", code_sent_at=None, attempts=0
    )


def send_code(patient: Patient) -> str:
    """Text a new code to the record's phone; returns the E.164 number it went to. Raises
    PortalError with a message to show (no number, opted out, too many codes, not sent)."""
    phone = to_e164(patient.phone) if patient.phone else None
    if phone is None:
        raise PortalError(gettext("Add your mobile phone number to your details first."), "no_phone")
    if consent.is_opted_out(phone):
        raise PortalError(str(OPTED_OUT_MESSAGE), "opted_out")
    practice = connection.tenant  # type: ignore[attr-defined]
    account = sms.account_for(practice.pk)
    if account is None:
        raise PortalError(gettext("This practice does not send text messages yet."), "no_sms_account")
    now = timezone.now()
    with transaction.atomic():
        # The row lock makes two "send" clicks at once count as two against the limit.
        PhoneVerification.objects.get_or_create(patient=patient)
        row = PhoneVerification.objects.select_for_update().get(patient=patient)
        if row.sends_window_start is None or now - row.sends_window_start > SEND_WINDOW:
            row.sends_window_start, row.sends_in_window = now, 0
        if row.sends_in_window >= MAX_SENDS_PER_WINDOW:
            raise PortalError(
                gettext(
                    "We have sent you several codes already. Please wait an hour before asking for another."
                ),
                "too_many_sends",
            )
        code = new_code()
        try:
            sms.send_sms(
                account,
                to=phone,
                body=gettext("%(code)s is your %(practice)s verification code.")
                % {"code": code, "practice": practice.name},
                status_callback=None,
            )
        except sms.SmsError as error:
            if error.code == "21610":  # the carrier says the number replied STOP
                consent.opt_out(phone, keyword=consent.CARRIER)
                raise PortalError(str(OPTED_OUT_MESSAGE), "opted_out") from error
            raise PortalError(
                gettext(
                    "We could not send a text to this number. Check it is a mobile number, or try later."
                ),
                "not_sent",
            ) from error
        row.phone, row.code_hash, row.code_sent_at, row.attempts = (
            phone,
            _code_hash(patient, phone, code),
            now,
            0,
        )
        row.sends_in_window += 1
        row.save()
    return phone


def check_code(patient: Patient, code: str) -> None:
    """Mark the record's phone verified when `code` is the one last sent to it, or raise PortalError
    (no code sent, number changed since, expired, too many attempts, wrong code)."""
    row = PhoneVerification.objects.filter(patient=patient).first()
    phone = to_e164(patient.phone) if patient.phone else None
    if row is None or not row.code_hash or row.code_sent_at is None:
        raise PortalError(gettext("Ask for a code first."), "no_code")
    if row.phone != phone:
        raise PortalError(
            gettext("Your number changed since the code was sent. Ask for a new code."), "number_changed"
        )
    if timezone.now() - row.code_sent_at > CODE_TTL:
        raise PortalError(gettext("This code has expired. Ask for a new code."), "expired")
    # Counted before comparing, in one conditional UPDATE: parallel guesses cannot exceed the limit.
    counted = PhoneVerification.objects.filter(pk=row.pk, attempts__lt=MAX_ATTEMPTS, code_hash=row.code_hash)
    if not counted.update(attempts=F("attempts") + 1):
        raise PortalError(gettext("Too many wrong codes. Ask for a new code."), "too_many_attempts")
    if not constant_time_compare(_code_hash(patient, phone, code.strip()), row.code_hash):
        left = MAX_ATTEMPTS - row.attempts - 1
        if left <= 0:
            raise PortalError(gettext("Too many wrong codes. Ask for a new code."), "too_many_attempts")
        raise PortalError(
            ngettext(
                "That code is not right. %(left)d more try.",
                "That code is not right. %(left)d more tries.",
                left,
            )
            % {"left": left},
            "wrong_code",
        )
    PhoneVerification.objects.filter(pk=row.pk).update(
        verified_phone=phone, verified_at=timezone.now(), code_hash="", code_sent_at=None, attempts=0
    )
