"""Writes to a patient's profile, shared by the portal and the back office (insurance lives in
practica.insurance). Every save is audited by the audit signals, whoever makes it."""

from typing import Any

from django.db import transaction

from practica.patients.models import Patient, PatientProfile

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


def profile_of(patient: Patient) -> PatientProfile:
    """The patient's profile, unsaved (defaults) when they have none yet: reading writes nothing."""
    return PatientProfile.objects.filter(patient=patient).first() or PatientProfile(patient=patient)


def set_preferred_language(patient: Patient, language: str) -> PatientProfile:
    """The language the practice writes to the patient in (portal, emails, texts)."""
    profile = profile_of(patient)
    if profile.pk is None or profile.preferred_language != language:
        profile.preferred_language = language
        profile.save()
    return profile


def update_demographics(patient: Patient, data: dict[str, Any]) -> Patient:
    """The record's own fields (name, birth date, sex, phone, email) and the profile's, at once."""
    with transaction.atomic():
        for name in ("first_name", "last_name", "date_of_birth", "sex", "phone", "email"):
            if name in data:
                setattr(patient, name, data[name])
        patient.save()
        profile = profile_of(patient)
        for name in PROFILE_FIELDS:
            if name in data:
                setattr(profile, name, data[name])
        profile.save()
    return patient
