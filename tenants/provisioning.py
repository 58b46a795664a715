"""Creating practice schemas quickly and safely.

New practices are cloned from `settings.TENANT_BASE_SCHEMA`, a schema that is migrated like a
practice on every deploy (`manage.py migrate_practices`) but never holds data. A copy of it
(tables, constraints, indexes, sequences, triggers and the migration records, see
tenants.cloning) is one statement batch whose time does not grow with the number of practices,
far faster than running every migration for each signup.
"""

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_exists

from practica.core.tenancy import use_public_schema
from tenants.models import Practice


def template_schema() -> str:
    return str(settings.TENANT_BASE_SCHEMA)


def ensure_template_schema(verbosity: int = 0) -> None:
    """Create the template schema if missing and bring it up to date with the practice migrations."""
    name = template_schema()
    if not schema_exists(name):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{name}"')
    call_command("migrate_schemas", tenant=True, schema_name=name, interactive=False, verbosity=verbosity)
    use_public_schema()


def template_is_ready() -> bool:
    return schema_exists(template_schema())


def migrate_schema_from_scratch(schema_name: str, verbosity: int = 0) -> None:
    """Create a schema by running every practice migration (the slow path; used by the
    benchmark and by the test that proves a clone equals a fresh migration)."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema_name}"')
    call_command(
        "migrate_schemas",
        tenant=True,
        schema_name=schema_name,
        interactive=False,
        verbosity=verbosity,
    )
    use_public_schema()


def create_practice_schema(practice: Practice) -> None:
    """Copy the template into the practice's schema (falls back to migrating if it is missing)."""
    practice.create_schema(check_if_exists=True, verbosity=0)


def recreate_missing_schemas() -> list[str]:
    """Practices whose row exists but whose schema does not (provisioning was cut off between the
    two) get their schema now. Left alone, `migrate_schemas` would run their migrations with a
    search path that falls through to the public schema."""
    recreated = []
    for practice in Practice.objects.exclude(schema_name__in=["public", template_schema()]):
        if not schema_exists(practice.schema_name):
            create_practice_schema(practice)
            recreated.append(practice.schema_name)
    use_public_schema()
    return recreated
