"""Whether Practica may text a patient: the one service for opting out and back in, whoever asks.

Two facts, kept in step here and nowhere else:
- a number's opt-out (SmsOptOut): the number replied STOP (or PARAR, ...), Twilio told us it did
  (OptOutType, or error 21610 when a text was refused). Twilio then refuses to text it until it
  replies START, so only the number itself can lift it (`opt_in`).
- a patient's SMS consent (PatientProfile.sms_consent), given or withdrawn by the patient in the
  portal or by staff for them in the back office or the API (`set_sms_consent`).
A number's STOP withdraws the consent of every patient with that number, and its START gives it
back; consent cannot be given for a number that is opted out (it must text START first).
Every change is written to the audit trail by the database's triggers with the caller's actor
(the patient, the staff user, the Twilio webhook or the sending task)."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from notifications.models import SmsOptOut
from notifications.phones import to_e164
from practica.patients import services as patient_services
from practica.patients.errors import InvalidPatient
from practica.patients.models import Patient, PatientProfile

CARRIER = "carrier"  # the keyword recorded when Twilio refuses a text to an opted-out number (21610)


def is_opted_out(phone: str) -> bool:
    number = to_e164(phone)
    return bool(number) and SmsOptOut.objects.filter(phone=number).exists()


def opt_out(phone: str, *, keyword: str) -> SmsOptOut | None:
    """The number asked for no more texts (`keyword`: the word it sent, or CARRIER): it is blocked
    and the patients with that number no longer consent to texts. Idempotent; None for a string
    that is not a phone number."""
    number = to_e164(phone)
    if number is None:
        return None
    with transaction.atomic():
        opt_out, _created = SmsOptOut.objects.get_or_create(phone=number, defaults={"keyword": keyword[:20]})
        PatientProfile.objects.filter(patient__phone=number, sms_consent=True).update(sms_consent=False)
    return opt_out


def opt_in(phone: str) -> None:
    """The number replied START (or Twilio says it did): texts may go to it again, and the patients
    with that number consent to them once more (they asked for texts from the number they use).
    A patient without a profile gets none: that would also fix their language."""
    number = to_e164(phone)
    if number is None:
        return
    with transaction.atomic():
        SmsOptOut.objects.filter(phone=number).delete()
        PatientProfile.objects.filter(patient__phone=number, sms_consent=False).update(sms_consent=True)


def _refuse_while_opted_out(phone: str) -> None:
    if phone and is_opted_out(phone):
        message = _(
            "This number has asked us to stop texting it (it replied STOP). "
            "Text START to our number to receive texts again."
        )
        raise InvalidPatient({"sms_consent": ("number_opted_out", message)})


def set_sms_consent(patient: Patient, allowed: bool) -> None:
    """The patient (portal) or staff for them (back office, API) allow or stop texts. Raises
    InvalidPatient: no mobile number, or the number opted out (it must text START first)."""
    if allowed and not patient_services.profile_of(patient).sms_consent:
        _refuse_while_opted_out(patient.phone)
    patient_services.update_patient(patient, {"sms_consent": allowed})


def update_profile(patient: Patient, data: Mapping[str, Any]) -> Patient:
    """The profile pages' save (portal and back office): the patient's details through
    update_patient, and the SMS consent among them checked as set_sms_consent checks it."""
    if data.get("sms_consent"):
        number = to_e164(data.get("phone", patient.phone) or "") or ""
        allowed_before = patient_services.profile_of(patient).sms_consent
        if not allowed_before or number != patient.phone:  # turned on, or for another number
            _refuse_while_opted_out(number)
    return patient_services.update_patient(patient, data)
