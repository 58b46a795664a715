import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from practica.patients.models import Patient, PatientProfile
from practica.patients.phones import is_normalised


def _as_date(term: str) -> datetime.date | None:
    for shape in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.datetime.strptime(term, shape).date()
        except ValueError:
            continue
    return None


def search_patients(query: str = "") -> QuerySet[Patient]:
    """Patients whose first or last name holds each word of `query` (indexed with pg_trgm, so
    anywhere in the name), a word shaped as a date (1984-03-02 or 03/02/1984) matching the birth
    date instead."""
    patients = Patient.objects.all()
    for term in query.split()[:3]:
        born = _as_date(term)
        if born is not None:
            patients = patients.filter(date_of_birth=born)
        else:
            patients = patients.filter(Q(first_name__icontains=term) | Q(last_name__icontains=term))
    return patients


def patient_label(patient: Patient) -> str:
    """How pickers name a patient: two Grace Chens differ by their birth dates."""
    return f"{patient} ({patient.date_of_birth:%Y-%m-%d})"


def preferred_language(patient: Patient) -> str | None:
    """The language on the patient's profile (a code of settings.LANGUAGES); None without a profile.
    Reads `patient.profile`, so a caller that select_related it pays no query."""
    try:
        return patient.profile.preferred_language
    except PatientProfile.DoesNotExist:
        return None


@dataclass(frozen=True)
class UnreadPhone:
    patient: Patient
    field: str  # "phone" or "emergency_phone"
    value: str  # as typed


def unnormalised_phones() -> list[UnreadPhone]:
    """Numbers kept as typed because they could not be read as a phone number (see phones.py), for
    staff to correct. Anything not shaped like E.164 is checked; a normalised number never is."""
    e164_shape = r"^\+[1-9][0-9]{6,14}$"
    found: list[UnreadPhone] = []
    patients = Patient.objects.exclude(phone="").exclude(phone__regex=e164_shape)
    for patient in patients.order_by("last_name", "first_name", "pk"):
        if not is_normalised(patient.phone):
            found.append(UnreadPhone(patient, "phone", patient.phone))
    profiles = (
        PatientProfile.objects.exclude(emergency_phone="")
        .exclude(emergency_phone__regex=e164_shape)
        .select_related("patient")
        .order_by("patient__last_name", "patient__first_name", "patient_id")
    )
    for profile in profiles:
        if not is_normalised(profile.emergency_phone):
            found.append(UnreadPhone(profile.patient, "emergency_phone", profile.emergency_phone))
    return found
