from django.db.models import Q, QuerySet

from practica.patients.models import Patient, PatientProfile


def search_patients(query: str = "") -> QuerySet[Patient]:
    patients = Patient.objects.all()
    for term in query.split()[:3]:
        patients = patients.filter(Q(first_name__icontains=term) | Q(last_name__icontains=term))
    return patients


def preferred_language(patient: Patient) -> str | None:
    """The language on the patient's profile (a code of settings.LANGUAGES); None without a profile.
    Reads `patient.profile`, so a caller that select_related it pays no query."""
    try:
        return patient.profile.preferred_language
    except PatientProfile.DoesNotExist:
        return None
