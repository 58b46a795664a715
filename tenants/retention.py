"""The end of a cancelled practice: its data is kept for PRACTICE_DATA_RETENTION_DAYS after the
subscription ends (the owner can export everything meanwhile), then purged for good.

Purging removes the practice's schema (every patient, appointment, message, ledger and audit
row), its files, and its public rows (domains, staff memberships, billing-company access, the
reminder index and SMS route). People's logins stay: they may belong to other practices."""

import datetime
import logging
import shutil
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists
from psycopg import sql

from tenants.models import Practice

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
    with schema_context("public"), transaction.atomic():
        # Rows first: deleting memberships is audited into the practice's schema, so it must
        # still exist; then the schema goes, in the same transaction.
        practice.delete()
        if schema_exists(schema):
            with connection.cursor() as cursor:
                # Deferred foreign-key checks still pending in this transaction would block the drop.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        transaction.on_commit(lambda: _remove_files(schema))
    log.info("Purged practice %s after its retention period", schema)


def _remove_files(schema: str) -> None:
    folder = Path(settings.MEDIA_ROOT) / schema
    if folder.resolve().parent == Path(settings.MEDIA_ROOT).resolve():
        shutil.rmtree(folder, ignore_errors=True)


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
