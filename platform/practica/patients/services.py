"""Writes to a patient's profile and insurance, shared by the portal and the back office. Every
save is audited by the audit signals, whoever makes it."""

from functools import partial
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from practica.intake.uploads import check_upload
from practica.patients.models import Patient, PatientInsurance, PatientProfile

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
INSURANCE_FIELDS = ["payer", "member_id", "group_number", "subscriber_name", "subscriber_relationship"]


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


def save_insurance(
    patient: Patient,
    data: dict[str, Any],
    *,
    card_front: UploadedFile | None = None,
    card_back: UploadedFile | None = None,
) -> PatientInsurance:
    """Card photos pass the same content checks as intake uploads (UploadRejected otherwise), and
    are checked before anything is saved, so a refused photo changes nothing."""
    front_type = check_upload(card_front) if card_front is not None else None
    back_type = check_upload(card_back) if card_back is not None else None
    insurance = PatientInsurance.objects.filter(patient=patient).first() or PatientInsurance(patient=patient)
    for name in INSURANCE_FIELDS:
        setattr(insurance, name, data[name])
    replaced = [
        str(stored.name)
        for stored, upload in ((insurance.card_front, card_front), (insurance.card_back, card_back))
        if stored and upload is not None
    ]
    with transaction.atomic():
        if card_front is not None and front_type is not None:
            insurance.card_front_content_type = front_type
            insurance.card_front.save("card-front", card_front, save=False)
        if card_back is not None and back_type is not None:
            insurance.card_back_content_type = back_type
            insurance.card_back.save("card-back", card_back, save=False)
        insurance.save()
        # A replaced photo is not kept around: delete its file once the new one is committed.
        storage = insurance.card_front.storage
        for name in replaced:
            transaction.on_commit(partial(storage.delete, name))
    return insurance
