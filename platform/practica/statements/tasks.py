"""Celery entry points: beat's tick (public schema) hands each practice with statement work due
to a task that runs in its schema; PDFs are rendered in chunks by their own tasks."""

import datetime

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone

LEASE = datetime.timedelta(seconds=getattr(settings, "STATEMENTS_LEASE_SECONDS", 600))


def due_practices(now: datetime.datetime | None = None, lease: datetime.timedelta = LEASE) -> list[str]:
    """Lease every practice with statement work due and return their schemas: one conditional
    UPDATE on the indexed public table, so two ticks never hand out the same practice within a
    lease, and a worker that dies leaves it to the next tick once the lease runs out."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE public.statements_due_statementduework SET next_due_at = %s
            WHERE next_due_at <= %s
            RETURNING schema_name
            """,
            [now + lease, now],
        )
        return [row[0] for row in cursor.fetchall()]


@shared_task(name="statements.tick", ignore_result=True)
def tick() -> int:
    schemas = due_practices()
    for schema in schemas:
        run_due_for_practice.apply_async(headers={"_schema_name": schema})
    return len(schemas)


@shared_task(name="statements.run_due", ignore_result=True, acks_late=True)
def run_due_for_practice() -> int:
    """Runs in the practice's schema (tenant-schemas-celery switches it from the task headers)."""
    from practica.statements.work import run_due_work

    return run_due_work()


@shared_task(name="statements.render", ignore_result=True, acks_late=True)
def render_statements(statement_ids: list[str]) -> int:
    """Queued by a run on commit, with the practice's schema in its headers (the caller's)."""
    from practica.statements.rendering import render

    return render(statement_ids)


@shared_task(name="statements.enrol_practices", ignore_result=True)
def enrol_practices() -> int:
    """Once a day: practices without a row in the due index get one due now, so a new practice's
    first monthly run is planned without anyone opening its settings."""
    from tenants.provisioning import template_schema

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO public.statements_due_statementduework (practice_id, schema_name, next_due_at)
            SELECT id, schema_name, now() FROM public.tenants_practice
            WHERE schema_name NOT IN ('public', %s)
            ON CONFLICT (practice_id) DO NOTHING
            """,
            [template_schema()],
        )
        return cursor.rowcount
