"""Likely duplicates of a patient record: the same date of birth with a similar name (pg_trgm's
trigram similarity of the whole name, so "Gracie Chen" finds "Grace Chen" and "Chen Grace"), or
the same phone number, or the same email address. One query, each branch served by an index
(birth date, phone, upper(email)); the similarity is computed only on the rows of that birth date.
Creating a patient warns with these (practica.patients.services); staff then merge
(practica.patients.merge)."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Q, Value
from django.db.models.functions import Concat

from practica.patients.models import Patient
from practica.patients.phones import to_e164

# Trigram similarity of the whole names, on the same birth date: 0.4 takes "Jon"/"John",
# "Gracie"/"Grace", "Kate"/"Katherine" and swapped names, and leaves siblings such as
# "Rosa Vega"/"Luis Vega" (0.33) alone.
NAME_SIMILARITY = 0.4
LIMIT = 5

SAME_BIRTH_AND_NAME = "same date of birth and a similar name"
SAME_PHONE = "same phone"
SAME_EMAIL = "same email"


@dataclass(frozen=True)
class Candidate:
    patient: Patient
    reasons: tuple[str, ...]

    @property
    def why(self) -> str:
        return ", ".join(self.reasons)


def likely_duplicates(
    data: Mapping[str, Any], *, exclude: uuid.UUID | str | None = None, limit: int = LIMIT
) -> list[Candidate]:
    """Patients who may be the person `data` describes (first_name, last_name, date_of_birth,
    phone, email; any may be missing), most alike first. One query."""
    first = str(data.get("first_name") or "").strip()
    last = str(data.get("last_name") or "").strip()
    born = data.get("date_of_birth")
    phone = to_e164(str(data.get("phone") or "").strip()) if data.get("phone") else None
    email = str(data.get("email") or "").strip()
    name = f"{first} {last}".strip()
    wanted = Q(pk__in=[])
    if born and name:
        wanted |= Q(date_of_birth=born, name_similarity__gte=NAME_SIMILARITY)
    if phone:
        wanted |= Q(phone=phone)
    if email:
        wanted |= Q(email__iexact=email)
    if not (born and name) and not phone and not email:
        return []
    patients = Patient.objects.annotate(
        name_similarity=TrigramSimilarity(Concat("first_name", Value(" "), "last_name"), name or "-")
    ).filter(wanted)
    if exclude is not None:
        patients = patients.exclude(pk=exclude)
    found = []
    for patient in patients.order_by("-name_similarity", "last_name", "first_name", "pk")[:limit]:
        reasons = []
        if born and patient.date_of_birth == born and patient.name_similarity >= NAME_SIMILARITY:
            reasons.append(SAME_BIRTH_AND_NAME)
        if phone and patient.phone == phone:
            reasons.append(SAME_PHONE)
        if email and patient.email.lower() == email.lower():
            reasons.append(SAME_EMAIL)
        found.append(Candidate(patient, tuple(reasons)))
    return found


def duplicates_of(patient: Patient, limit: int = LIMIT) -> list[Candidate]:
    """Other records that may be the same person as `patient`."""
    details = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth,
        "phone": patient.phone,
        "email": patient.email,
    }
    return likely_duplicates(details, exclude=patient.pk, limit=limit)
