"""Celery entry points of eligibility: the edge where a practice is chosen."""

import datetime as dt
import logging

from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from practica.audit.context import acting_as, task
from practica.core.tenancy import current_schema
from tenants.models import Practice

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def check_booked_appointment(schema_name: str, appointment_id: str) -> str:
    """A new booking's coverage checked in real time (queued on the booking's commit)."""
    from practica.eligibility.batch import check_appointment
    from practica.eligibility.models import Trigger

    practice = Practice.objects.filter(schema_name=schema_name).exclude(schema_name="public").first()
    if practice is None:
        return "no_practice"
    with tenant_context(practice), acting_as(task("eligibility.check_booked_appointment")):
        return check_appointment(appointment_id, now=timezone.now(), trigger=Trigger.BOOKING)


def after_booking(appointment_id: object) -> None:
    """Called by `book_appointment` in its transaction: the check is queued once the booking is
    committed, and nothing here can fail or slow the booking (a broker that is down is logged)."""
    schema = current_schema()

    def queue() -> None:
        try:
            check_booked_appointment.delay(schema, str(appointment_id))
        except Exception:  # the booking stands whatever happens to its check
            log.exception("eligibility check of appointment %s not queued", appointment_id)

    transaction.on_commit(queue)


# The nightly batch of a practice with many visits takes minutes (each check waits on its payer):
# the lease is long enough that the next tick does not hand the same practice out meanwhile.
NIGHTLY_LEASE = dt.timedelta(hours=1)


def due_practices(now: dt.datetime | None = None, lease: dt.timedelta = NIGHTLY_LEASE) -> list[str]:
    """Lease every practice whose nightly batch is due and return their schemas: one conditional
    UPDATE on the indexed public table, so two ticks never hand out the same practice within a
    lease, and a worker that dies leaves it to the next tick once the lease runs out."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE public.eligibility_due_eligibilityduework SET next_due_at = %s
            WHERE next_due_at <= %s
            RETURNING schema_name
            """,
            [now + lease, now],
        )
        return [row[0] for row in cursor.fetchall()]


@shared_task(name="eligibility.tick", ignore_result=True)
def tick() -> int:
    schemas = due_practices()
    for schema in schemas:
        run_nightly_for_practice.apply_async(headers={"_schema_name": schema})
    return len(schemas)


@shared_task(name="eligibility.run_nightly", ignore_result=True, acks_late=True)
def run_nightly_for_practice() -> str:
    """Runs in the practice's schema (tenant-schemas-celery switches it from the task headers)."""
    from practica.eligibility.nightly import run_nightly

    with acting_as(task("eligibility.run_nightly")):
        summary = run_nightly(timezone.now())
    return "\n".join(summary.lines()) if summary else "not_configured"


@shared_task(name="eligibility.enrol_practices", ignore_result=True)
def enrol_practices() -> int:
    """Once a day: practices without a row in the due index get one due now, so a practice whose
    clearinghouse was configured by other means than `configure_realtime` is still planned (its
    first run plans the next, or none)."""
    from tenants.provisioning import template_schema

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO public.eligibility_due_eligibilityduework (practice_id, schema_name, next_due_at)
            SELECT id, schema_name, now() FROM public.tenants_practice
            WHERE schema_name NOT IN ('public', %s)
            ON CONFLICT (practice_id) DO NOTHING
            """,
            [template_schema()],
        )
        return cursor.rowcount
