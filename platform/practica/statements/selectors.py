"""Reads for the statement screens; each list costs a fixed number of queries."""

import uuid

from django.db.models import Count, Q, QuerySet

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
