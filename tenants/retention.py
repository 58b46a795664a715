"""The end of a cancelled practice: its data is kept for PRACTICE_DATA_RETENTION_DAYS after the
subscription ends (the owner can export everything meanwhile), then purged for good.

Purging removes the practice's schema (every patient, appointment, message, ledger and audit
row), its files (MEDIA_ROOT/<schema>/ and EDI_ROOT/<schema>/), its public rows (domains, staff
memberships and invitations, billing-company access, the due-work index, the SMS route, account
emails sent on its behalf, its Connect events, and every session opened on its host), its Redis
keys (cache entries and access stamps), and closes its open sockets. People's logins stay: they
may belong to other practices (see practica.accounts.erasure to delete one).

The practice's own audit trail goes with its schema; the purge itself is logged with its actor and
recorded in the public `PracticePurge` row (when, by what, no practice data), which stays."""

import datetime
import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists
from psycopg import sql

from practica.audit.context import current_actor
from practica.core import access
from tenants.models import Practice, PracticePurge, StripeEvent

log = logging.getLogger(__name__)


class PurgeRefused(Exception):
    pass


def purge_date(practice: Practice) -> datetime.datetime | None:
    """When a suspended practice's data goes; None while the practice is not suspended."""
    if practice.status != Practice.Status.SUSPENDED or practice.suspended_at is None:
        return None
    return practice.suspended_at + datetime.timedelta(days=settings.PRACTICE_DATA_RETENTION_DAYS)


def practices_due_for_purge(now: datetime.datetime | None = None) -> list[Practice]:
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.PRACTICE_DATA_RETENTION_DAYS)
    return list(
        Practice.objects.filter(status=Practice.Status.SUSPENDED, suspended_at__lte=cutoff).exclude(
            schema_name__in=["public", settings.TENANT_BASE_SCHEMA]
        )
    )


def purge_practice(practice: Practice, now: datetime.datetime | None = None) -> None:
    """Delete everything of one practice whose retention period is over."""
    when = purge_date(practice)
    if when is None or when > (now or timezone.now()):
        raise PurgeRefused(f"{practice.slug} is not past its data retention period.")
    schema = practice.schema_name
    if schema in ("public", settings.TENANT_BASE_SCHEMA):
        raise PurgeRefused(f"{schema} is not a practice schema.")
    actor = current_actor.get().label
    with schema_context("public"), transaction.atomic():
        # Rows first: deleting memberships is audited into the practice's schema, so it must
        # still exist; then the schema goes, in the same transaction.
        _delete_public_rows(practice)
        PracticePurge.objects.create(
            practice_id=practice.pk,
            slug=practice.slug,
            schema_name=schema,
            subscription_ended_at=practice.suspended_at,
            retention_days=settings.PRACTICE_DATA_RETENTION_DAYS,
            purged_at=timezone.now(),
            purged_by=actor,
        )
        practice.delete()
        if schema_exists(schema):
            with connection.cursor() as cursor:
                # Deferred foreign-key checks still pending in this transaction would block the drop.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        # Its sockets close (the stamp changes, the practice is gone), then its keys go.
        access.announce_on_commit([access.practice_subject(schema)])
        transaction.on_commit(lambda: _remove_files(schema))
        transaction.on_commit(lambda: _remove_redis_keys(schema))
    log.info(
        "Purged practice %s after its retention period",
        schema,
        extra={"purged_schema": schema, "actor": actor},
    )


def _delete_public_rows(practice: Practice) -> None:
    """Public rows naming the practice by its schema or Stripe account rather than a foreign key
    (those cascade with the practice row)."""
    from django.contrib.sessions.models import Session

    from notifications.routing.models import AccountEmail

    AccountEmail.objects.filter(practice_schema=practice.schema_name).delete()
    if practice.stripe_account_id:
        StripeEvent.objects.filter(account=practice.stripe_account_id).delete()
    Session.objects.filter(session_key__in=_sessions_at(practice.schema_name)).delete()


def _sessions_at(schema_name: str) -> list[str]:
    """The unexpired sessions opened on the practice's host, staff or patient. Sessions are not
    indexed by practice, so they are read and decoded, as end_sessions_of does: a rare act."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from portal.sessions import PENDING_SCHEMA_KEY, SCHEMA_KEY
    from practica.accounts.sessions import SESSION_PRACTICE_KEY

    names = (SESSION_PRACTICE_KEY, SCHEMA_KEY, PENDING_SCHEMA_KEY)
    return [
        key
        for key, data in Session.objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator()
        if any(SessionStore().decode(data).get(name) == schema_name for name in names)
    ]


def _remove_files(schema: str) -> None:
    for root in (settings.MEDIA_ROOT, settings.EDI_ROOT):
        folder = Path(root) / schema
        if schema and folder.resolve().parent == Path(root).resolve():
            shutil.rmtree(folder, ignore_errors=True)


def _remove_redis_keys(schema: str) -> None:
    """Its cache entries (django_tenants.cache.make_key puts the schema first) and access stamps."""
    if not settings.REDIS_URL:
        return
    from django_redis import get_redis_connection

    client = get_redis_connection("default")
    patterns = (
        f"{schema}:*",
        access.STAMP_PREFIX + access.practice_subject(schema),
        access.STAMP_PREFIX + access.portal_account_subject(schema, "*"),
    )
    for pattern in patterns:
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)


def purges_of(name: str) -> list[PracticePurge]:
    """The purge records of a practice named by its slug, host (`<slug>.<BASE_DOMAIN>`) or schema."""
    slug = name.strip().lower().removesuffix(f".{settings.BASE_DOMAIN}".lower())
    return list(PracticePurge.objects.filter(models.Q(slug=slug) | models.Q(schema_name=slug)))


def purge_expired_practices(now: datetime.datetime | None = None) -> list[str]:
    """Purge every practice past its retention period; one failure does not stop the others."""
    purged = []
    for practice in practices_due_for_purge(now):
        try:
            purge_practice(practice, now)
        except Exception:
            log.exception("Could not purge practice %s", practice.schema_name)
        else:
            purged.append(practice.slug)
    return purged
