from django.db.models import Q, QuerySet

from patients.models import Patient


def search_patients(query: str = "") -> QuerySet[Patient]:
    patients = Patient.objects.all()
    for term in query.split()[:3]:
        patients = patients.filter(Q(first_name__icontains=term) | Q(last_name__icontains=term))
    return patients
