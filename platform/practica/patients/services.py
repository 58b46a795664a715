"""Writes to patient records: the one path by which the back office, the portal (registration,
profile, language) and the API create and change a patient and their profile (insurance lives in
practica.insurance). The rules live here, once: names, birth date, phones in E.164, the contact
preferences that need a number. Callers parse input and show `InvalidPatient` as their errors.
Every write is audited by the database's triggers, with the caller's actor."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from practica.patients.duplicates import likely_duplicates
from practica.patients.errors import InvalidPatient, LikelyDuplicate
from practica.patients.models import Patient, PatientProfile
from practica.patients.phones import normalise_phone
from practica.patients.validators import validate_date_of_birth

PATIENT_FIELDS = ["first_name", "last_name", "date_of_birth", "sex", "phone", "email"]
PROFILE_FIELDS = [
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "preferred_language",
    "sms_consent",
    "email_consent",
    "emergency_name",
    "emergency_relation",
    "emergency_phone",
]
TEXT_FIELDS = {"first_name", "last_name", "email", "phone", "emergency_phone"} | (
    set(PROFILE_FIELDS) - {"preferred_language", "sms_consent", "email_consent"}
)


def profile_of(patient: Patient) -> PatientProfile:
    """The patient's profile, unsaved (defaults) when they have none yet: reading writes nothing."""
    return PatientProfile.objects.filter(patient=patient).first() or PatientProfile(patient=patient)


def _check(values: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The rules on a patient's details as they would stand after the change; normalises `values`
    in place (stripped text, phones in E.164) and returns what is refused, by field."""
    errors: dict[str, tuple[str, str]] = {}
    for name in TEXT_FIELDS & values.keys():
        values[name] = (values[name] or "").strip()
    for name in ("first_name", "last_name"):
        if not values.get(name):
            errors[name] = ("required", _("This field is required."))
    if values.get("date_of_birth") is None:
        errors["date_of_birth"] = ("required", _("This field is required."))
    else:
        try:
            validate_date_of_birth(values["date_of_birth"])
        except ValidationError as error:
            errors["date_of_birth"] = ("invalid_date_of_birth", error.messages[0])
    if values.get("sex", Patient.Sex.UNKNOWN) not in Patient.Sex.values:
        errors["sex"] = ("invalid_sex", _("Choose F, M, X or U."))
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            errors["email"] = ("invalid_email", _("Enter a valid email address."))
    for name in ("phone", "emergency_phone"):
        try:
            values[name] = normalise_phone(values.get(name) or "")
        except ValidationError as error:
            errors[name] = ("invalid_phone", error.messages[0])
    languages = {code for code, _name in settings.LANGUAGES}
    if values.get("preferred_language", settings.LANGUAGE_CODE) not in languages:
        errors["preferred_language"] = ("invalid_language", _("Choose one of the languages offered."))
    if values.get("sms_consent") and not values.get("phone") and "phone" not in errors:
        errors["phone"] = ("phone_needed", _("Give a mobile number to receive text messages."))
    if values.get("emergency_name") and not values.get("emergency_phone") and "emergency_phone" not in errors:
        errors["emergency_phone"] = ("phone_needed", _("Give a phone number for your emergency contact."))
    return errors


def _current(patient: Patient | None, profile: PatientProfile | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if patient is not None:
        values.update({name: getattr(patient, name) for name in PATIENT_FIELDS})
    if profile is not None:
        values.update({name: getattr(profile, name) for name in PROFILE_FIELDS})
    return values


def check_new_patient(data: Mapping[str, Any]) -> None:
    """Raise InvalidPatient if `create_patient(data)` would refuse it; writes nothing (registration
    checks before it looks the email up)."""
    values = {name: data[name] for name in PATIENT_FIELDS + PROFILE_FIELDS if name in data}
    errors = _check(values)
    if errors:
        raise InvalidPatient(errors)


def create_patient(data: Mapping[str, Any], *, check_duplicates: bool = True) -> Patient:
    """A new patient from `data` (the record's fields and, optionally, the profile's); a profile is
    written only when `data` gives one of its fields. Raises InvalidPatient, writing nothing, and
    LikelyDuplicate when the practice may already have this person (same birth date and a similar
    name, same phone or email), unless `check_duplicates` is off: staff confirmed a different person,
    or the portal's registration, whose staff review shows the likely duplicates instead."""
    values = {name: data[name] for name in PATIENT_FIELDS + PROFILE_FIELDS if name in data}
    errors = _check(values)
    if errors:
        raise InvalidPatient(errors)
    if check_duplicates:
        candidates = likely_duplicates(values)
        if candidates:
            raise LikelyDuplicate(candidates)
    with transaction.atomic():
        patient = Patient.objects.create(**{name: values[name] for name in PATIENT_FIELDS if name in data})
        profile_values = {name: values[name] for name in PROFILE_FIELDS if name in data}
        if profile_values:
            PatientProfile.objects.create(patient=patient, **profile_values)
    return patient


# A rule across two fields is checked when either is changed.
_TOGETHER = {"phone": {"phone", "sms_consent"}, "emergency_phone": {"emergency_phone", "emergency_name"}}


def _refused(errors: dict[str, tuple[str, str]], changing: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """The errors the change is answerable for: a detail stored earlier and left alone (a number
    kept as typed, say) does not block changing another."""
    return {
        field: error
        for field, error in errors.items()
        if field in changing or (error[0] == "phone_needed" and _TOGETHER[field] & changing.keys())
    }


def _update(patient: Patient, data: Mapping[str, Any]) -> PatientProfile:
    profile = profile_of(patient)
    values = _current(patient, profile)
    # A value given as it is stored is no change: a number kept as typed, say, does not block a
    # form that posts it back unchanged.
    given = {name: data[name] for name in PATIENT_FIELDS + PROFILE_FIELDS if name in data}
    changing = {name: value for name, value in given.items() if value != values.get(name)}
    values.update(changing)
    errors = _refused(_check(values), changing)
    if errors:
        raise InvalidPatient(errors)
    with transaction.atomic():
        on_record = [
            name for name in PATIENT_FIELDS if name in changing and getattr(patient, name) != values[name]
        ]
        for name in on_record:
            setattr(patient, name, values[name])
        if on_record:
            patient.save(update_fields=[*on_record, "updated_at"])
        on_profile = [
            name for name in PROFILE_FIELDS if name in changing and getattr(profile, name) != values[name]
        ]
        for name in on_profile:
            setattr(profile, name, values[name])
        if profile.pk is None and given.keys() & set(PROFILE_FIELDS):
            profile.save()  # a first choice is recorded even when it is the default
        elif on_profile:
            profile.save(update_fields=[*on_profile, "updated_at"])
    return profile


def update_patient(patient: Patient, data: Mapping[str, Any]) -> Patient:
    """Change the given fields of the record and of the profile (the rest stay), checked as they
    will stand together. Raises InvalidPatient, writing nothing and leaving `patient` as it was."""
    _update(patient, data)
    return patient


def set_preferred_language(patient: Patient, language: str) -> PatientProfile:
    """The language the practice writes to the patient in (portal, emails, texts)."""
    return _update(patient, {"preferred_language": language})
