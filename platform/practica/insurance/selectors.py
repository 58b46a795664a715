"""Reads of coverages and payers."""

import datetime
from uuid import UUID

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from practica.insurance.models import Coverage, Payer, Priority


def active_coverages(patient_id: UUID | str) -> QuerySet[Coverage]:
    """The patient's live coverages, primary first."""
    order = {Priority.PRIMARY: 0, Priority.SECONDARY: 1, Priority.TERTIARY: 2}
    return (
        Coverage.objects.filter(patient_id=patient_id, is_active=True)
        .select_related("payer")
        .order_by(
            Case(*(When(priority=p, then=Value(n)) for p, n in order.items()), output_field=IntegerField())
        )
    )


def primary_coverage(patient_id: UUID | str) -> Coverage | None:
    """The coverage the portal, intake and the front desk show: the live primary one."""
    return (
        Coverage.objects.filter(patient_id=patient_id, is_active=True, priority=Priority.PRIMARY)
        .select_related("payer")
        .first()
    )


def coverage_on(
    patient_id: UUID | str, day: datetime.date, priority: str = Priority.PRIMARY
) -> Coverage | None:
    """The live coverage of this priority in force on the day (open dates count as in force)."""
    return (
        Coverage.objects.filter(patient_id=patient_id, is_active=True, priority=priority)
        .filter(Q(effective_from__isnull=True) | Q(effective_from__lte=day))
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .select_related("payer")
        .first()
    )


def active_payers() -> QuerySet[Payer]:
    return Payer.objects.filter(is_active=True)
