"""Celery entry points of eligibility: the edge where a practice is chosen."""

import logging

from celery import shared_task
from django.db import transaction
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
