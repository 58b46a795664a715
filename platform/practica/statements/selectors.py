"""Reads for the statement screens; each list costs a fixed number of queries."""

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from practica.patient_billing.models import LedgerEntry
from practica.statements import schedule
from practica.statements.aging import Aging, age
from practica.statements.models import Statement, StatementRun


def runs() -> QuerySet[StatementRun]:
    return (
        StatementRun.objects.select_related("started_by")
        .annotate(
            rendered=Count("statements", filter=Q(statements__rendered_at__isnull=False)),
            paper=Count("statements", filter=Q(statements__delivery=Statement.Delivery.PAPER)),
        )
        .order_by("-created_at")
    )


def run_statements(run: StatementRun) -> QuerySet[Statement]:
    return run.statements.select_related("patient").order_by("patient__last_name", "patient__first_name")


def patient_statements(patient_id: uuid.UUID) -> QuerySet[Statement]:
    return Statement.objects.filter(patient_id=patient_id).order_by("-statement_date", "-created_at")


BUCKETS = [
    ("current", "0-30 days"),
    ("31_60", "31-60 days"),
    ("61_90", "61-90 days"),
    ("over_90", "Over 90 days"),
]


@dataclass(frozen=True)
class PatientAging:
    patient_id: uuid.UUID
    name: str
    aging: Aging

    def bucket(self, key: str) -> int:
        return dict(zip([k for k, _ in BUCKETS], self.aging_values(), strict=True))[key]

    def aging_values(self) -> list[int]:
        a = self.aging
        return [a.current, a.days_31_60, a.days_61_90, a.over_90]


def receivables_by_age(as_of: datetime.datetime) -> list[PatientAging]:
    """Every patient owing, with what they owe aged as statements age it (credits settle the
    oldest charges first). Two queries, whatever the number of patients."""
    zone = schedule.practice_zone()
    today = as_of.astimezone(zone).date()
    owing = (
        LedgerEntry.objects.filter(posted_at__lte=as_of)
        .values("patient_id")
        .annotate(balance=Sum("amount_cents"))
        .filter(balance__gt=0)
        .values("patient_id")
    )
    history: dict[uuid.UUID, list[tuple[datetime.date, int]]] = defaultdict(list)
    names: dict[uuid.UUID, str] = {}
    rows = (
        LedgerEntry.objects.filter(patient_id__in=owing, posted_at__lte=as_of)
        .order_by("patient_id", "posted_at", "id")
        .values_list("patient_id", "posted_at", "amount_cents", "patient__last_name", "patient__first_name")
    )
    for patient_id, posted_at, cents, last, first in rows.iterator(chunk_size=5000):
        history[patient_id].append((posted_at.astimezone(zone).date(), cents))
        names[patient_id] = f"{last}, {first}"
    found = [PatientAging(pid, names[pid], age(entries, today)) for pid, entries in history.items()]
    return sorted(found, key=lambda p: (-p.aging.total, p.name))
