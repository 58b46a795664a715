"""Ready schemas: copies of the template made in the background, renamed at signup.

Copying the template is one statement batch, but it creates every table, index and constraint of
a practice, so its time is the machine's to give: a fraction of a second when idle, seconds under
load. A signup instead takes a schema copied ahead of time and renames it (`ALTER SCHEMA ...
RENAME` changes one catalog row; every reference inside the schema is by object id), which costs
the same at any size and any load.

- `take_ready_schema` runs in the signup's transaction: the row is locked with SKIP LOCKED, so two
  signups at once never get the same schema, and a rolled-back signup leaves it ready. A ready
  schema lacking one of this code's migrations is never handed out (the signup copies the
  template instead, which brings its copy up to date itself).
- `refill_ready_schemas` (a Celery task queued after each signup and every minute) drops ready
  schemas that are behind this code (or gone) and copies the template until `PRACTICE_READY_SCHEMAS` are
  ready; one refill at a time. The deploy's `migrate_practices` migrates ready schemas with the
  practices, so a deploy does not empty the pool.
"""

import logging
import secrets

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_exists

from practica.core.tenancy import use_public_schema
from tenants.cloning import copy_template, migration_state
from tenants.models import ReadySchema

logger = logging.getLogger(__name__)

PREFIX = "practice_ready_"
# pg_advisory_lock key held by the one refill running (any fixed number unique to this use).
_REFILL_LOCK = 7_301_113


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def take_ready_schema(schema_name: str) -> bool:
    """Rename a ready, up-to-date schema to `schema_name` in the caller's transaction; False when
    there is none (the caller copies the template)."""
    try:
        with transaction.atomic():  # a savepoint: a ready schema gone missing spoils nothing
            ready = ReadySchema.objects.select_for_update(skip_locked=True).order_by("id").first()
            if ready is None:
                return False
            if not migration_state(ready.schema_name)[1]:
                logger.warning(
                    "Ready schema %s is behind this code's migrations: not used.", ready.schema_name
                )
                return False
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER SCHEMA {_quote(ready.schema_name)} RENAME TO {_quote(schema_name)}")
            ready.delete()
    except DatabaseError:
        logger.exception("A ready schema could not be taken; copying the template instead.")
        return False
    return True


def ready_schema_names() -> list[str]:
    return list(ReadySchema.objects.order_by("id").values_list("schema_name", flat=True))


def refill_ready_schemas(size: int | None = None) -> int:
    """Drop the ready schemas behind this code, then copy the template until `size` (default
    PRACTICE_READY_SCHEMAS) are ready, each in its own transaction. Returns how many were made;
    0 at once when another refill is running."""
    from tenants.provisioning import template_is_ready, template_schema

    size = settings.PRACTICE_READY_SCHEMAS if size is None else size
    use_public_schema()
    if not template_is_ready():
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_REFILL_LOCK])
        if not cursor.fetchone()[0]:
            return 0
    try:
        for ready in ReadySchema.objects.order_by("id"):
            if not schema_exists(ready.schema_name) or not migration_state(ready.schema_name)[1]:
                _drop(ready)
        made = 0
        while ReadySchema.objects.count() < size:
            name = f"{PREFIX}{secrets.token_hex(6)}"
            with transaction.atomic():
                copy_template(template_schema(), name)
                ReadySchema.objects.create(schema_name=name)
            use_public_schema()
            made += 1
        return made
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_REFILL_LOCK])


def _drop(ready: ReadySchema) -> None:
    with transaction.atomic():
        # Skipped if a signup is taking it right now.
        locked = ReadySchema.objects.select_for_update(skip_locked=True).filter(pk=ready.pk).first()
        if locked is None:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(locked.schema_name)} CASCADE")
        locked.delete()
