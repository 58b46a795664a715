"""Celery entry points: the beat tick (public schema) and each practice's sending task."""

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications import delivery

# How long the tick leaves a practice alone after handing it to a worker; if that worker dies
# the lease runs out and the next tick hands the practice out again.
LEASE = datetime.timedelta(seconds=getattr(settings, "NOTIFICATIONS_LEASE_SECONDS", 120))


def due_practices(
    now: datetime.datetime | None = None,
    among: Sequence[str] | None = None,
    lease: datetime.timedelta = LEASE,
) -> list[str]:
    """Lease every practice with work due (or those of `among` only) and return their schemas.

    One conditional UPDATE on the public index (next_due_at is indexed): the cost follows how many
    practices have work due, not how many practices there are, and two ticks never hand out the
    same practice twice within a lease."""
    now = now or timezone.now()
    only = "AND schema_name = ANY(%s)" if among is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE public.notifications_routing_practiceduework SET next_due_at = %s
            WHERE next_due_at <= %s {only}
            RETURNING schema_name
            """,  # noqa: S608 (a fixed fragment; values are parameters)
            [now + lease, now] + ([list(among)] if among is not None else []),
        )
        return [row[0] for row in cursor.fetchall()]


def hand_out(schemas: Iterable[str], **publish: Any) -> None:
    """Queue one sending task per practice, carrying its schema (`publish`: apply_async options)."""
    for schema in schemas:
        send_due_for_practice.apply_async(headers={"_schema_name": schema}, **publish)


@shared_task(name="notifications.tick", ignore_result=True)
def tick() -> int:
    schemas = due_practices()
    hand_out(schemas)
    return len(schemas)


@shared_task(name="notifications.send_due", ignore_result=True, acks_late=True)
def send_due_for_practice() -> int:
    """Runs in the practice's schema (tenant-schemas-celery switches it from the task headers)."""
    return delivery.send_due()


@shared_task(name="notifications.send_account_emails", ignore_result=True, acks_late=True)
def send_account_emails() -> int:
    """Emails about people's own logins (public schema); queued on commit and swept by beat."""
    from notifications.account_emails import send_due_account_emails

    return send_due_account_emails()
