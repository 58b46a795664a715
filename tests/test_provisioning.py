"""A practice cloned from the template schema, at signup or ahead of it, is the same database as
one migrated from scratch.

The clones are made inside each test's transaction and the migrated schema inside one of its
own, so the rollbacks remove them all."""

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import schema_exists

from practica.core.tenancy import use_public_schema
from tenants import migrating
from tenants.models import Practice
from tenants.pool import ready_schema_names, refill_ready_schemas
from tenants.provisioning import migrate_schema_from_scratch, template_schema
from tenants.services import provision_practice

CLONED_SLUG = "clone-probe"
CLONED = "p_clone_probe"
MIGRATED = "p_migrated_probe"

# Each query returns rows describing one schema (%(s)s); the schema's own name is blanked out of
# definitions, so two schemas compare equal when their structures are equal.
CATALOG_QUERIES: dict[str, str] = {
    "tables": """
        SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = %(s)s""",
    "columns": """
        SELECT table_name, column_name, data_type, udt_name, is_nullable,
               character_maximum_length, numeric_precision, numeric_scale, datetime_precision,
               replace(column_default, %(s)s || '.', ''), is_identity, identity_generation,
               identity_start, identity_increment, is_generated, collation_name,
               -- the column's place in its table (ordinal_position keeps holes of dropped columns)
               rank() OVER (PARTITION BY table_name ORDER BY ordinal_position)
        FROM information_schema.columns WHERE table_schema = %(s)s""",
    "constraints": """
        SELECT cls.relname, con.conname, con.contype,
               replace(pg_get_constraintdef(con.oid), %(s)s || '.', ''), con.condeferrable,
               con.condeferred, con.convalidated
        FROM pg_constraint con JOIN pg_class cls ON cls.oid = con.conrelid
        JOIN pg_namespace ns ON ns.oid = con.connamespace WHERE ns.nspname = %(s)s""",
    "indexes": """
        SELECT tablename, indexname, replace(indexdef, %(s)s || '.', '') FROM pg_indexes
        WHERE schemaname = %(s)s""",
    "sequences": """
        SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by,
               cycle, cache_size, last_value FROM pg_sequences WHERE schemaname = %(s)s""",
    "sequence owners": """
        SELECT seq.relname, tbl.relname, att.attname, dep.deptype
        FROM pg_class seq JOIN pg_namespace ns ON ns.oid = seq.relnamespace
        JOIN pg_depend dep ON dep.objid = seq.oid AND dep.classid = 'pg_class'::regclass
        JOIN pg_class tbl ON tbl.oid = dep.refobjid
        JOIN pg_attribute att ON att.attrelid = tbl.oid AND att.attnum = dep.refobjsubid
        WHERE seq.relkind = 'S' AND ns.nspname = %(s)s""",
    "triggers": """
        SELECT event_object_table, trigger_name, event_manipulation, action_timing,
               action_orientation, replace(action_statement, %(s)s || '.', '')
        FROM information_schema.triggers WHERE trigger_schema = %(s)s""",
    "functions": """
        SELECT proname, replace(pg_get_functiondef(p.oid), %(s)s || '.', '')
        FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace WHERE ns.nspname = %(s)s""",
    "migration records": """
        SELECT app, name FROM {schema}.django_migrations""",
}


def describe(schema: str) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    with connection.cursor() as cursor:
        for name, sql in CATALOG_QUERIES.items():
            cursor.execute(sql.format(schema=f'"{schema}"'), {"s": schema})
            rows = [tuple(str(v) if v is not None else None for v in row) for row in cursor.fetchall()]
            found[name] = sorted(rows, key=lambda row: tuple("" if v is None else v for v in row))
    return found


@pytest.fixture(scope="module")
def freshly_migrated(django_db_setup: None, django_db_blocker: Any) -> dict[str, Any]:
    """A schema migrated from scratch, described, then rolled back: made once for both paths
    (every migration from the first, over ten seconds)."""
    with django_db_blocker.unblock(), transaction.atomic():
        migrate_schema_from_scratch(MIGRATED)
        assert schema_exists(MIGRATED)
        described = describe(MIGRATED)
        transaction.set_rollback(True)
    use_public_schema()
    return described


@pytest.fixture(params=["copied at signup", "ready schema"])
def cloned_and_migrated(
    request: pytest.FixtureRequest, freshly_migrated: dict[str, Any], db: None
) -> tuple[dict[str, Any], dict[str, Any]]:
    use_public_schema()
    # The signup paths: a Practice row whose schema is copied from the template then, or was
    # copied ahead of time and is renamed (tenants.pool).
    if request.param == "ready schema":
        assert refill_ready_schemas(1) == 1
    provision_practice(name="Clone probe", slug=CLONED_SLUG, plan=None)
    assert ready_schema_names() == []
    assert schema_exists(CLONED) and not schema_exists(MIGRATED)
    return describe(CLONED), freshly_migrated


def test_a_clone_equals_a_fresh_migration(cloned_and_migrated: tuple[dict[str, Any], dict[str, Any]]) -> None:
    cloned, migrated = cloned_and_migrated
    differences = {
        aspect: {
            "clone only": sorted(set(cloned[aspect]) - set(migrated[aspect]), key=str),
            "migration only": sorted(set(migrated[aspect]) - set(cloned[aspect]), key=str),
        }
        for aspect in CATALOG_QUERIES
        if cloned[aspect] != migrated[aspect]
    }
    assert differences == {}

    # Guard against comparing two empty lists: the clone really has what a practice needs.
    tables = {row[0] for row in cloned["tables"]}
    assert {"patients_patient", "scheduling_appointment", "audit_auditevent", "django_migrations"} <= tables
    exclusion = [row for row in cloned["constraints"] if row[2] == "x"]
    assert exclusion and all("EXCLUDE USING gist" in row[3] for row in exclusion)
    assert {"f", "u", "p", "c"} <= {row[2] for row in cloned["constraints"]}
    assert any(row[1] == "audit_event_append_only" for row in cloned["triggers"])
    assert any(row[0] == "audit_event_is_append_only" for row in cloned["functions"])
    assert any(row[1] == "patient_name_idx" for row in cloned["indexes"])
    assert ("audit", "0002_append_only") in cloned["migration records"]
    assert len(cloned["migration records"]) >= 6


def test_the_live_practices_match_the_template(practice_a: Practice) -> None:
    # The session's practices were provisioned by provision_practice(), the signup path.
    template = describe(template_schema())
    alpha = describe(practice_a.schema_name)
    for aspect in ("tables", "columns", "constraints", "indexes", "triggers", "migration records"):
        assert alpha[aspect] == template[aspect], aspect


def test_a_template_behind_the_code_never_gives_a_practice_an_older_schema(
    practice_a: Practice, caplog: pytest.LogCaptureFixture
) -> None:
    # The template as new code finds it before the deploy's migrate_practices has reached it: its
    # latest eligibility migration undone (DDL is transactional: the test's rollback redoes it).
    template = template_schema()
    call_command(
        "migrate_schemas",
        "eligibility",
        "0001_initial",
        tenant=True,
        schema_name=template,
        interactive=False,
        verbosity=0,
    )
    use_public_schema()
    assert migrating.schemas_behind([template]) == [template]

    late = provision_practice(name="Late Template", slug="late-template", plan=None)

    assert migrating.schemas_behind([late.schema_name]) == []
    assert "behind this code's migrations" in caplog.text
    copied, live = describe(late.schema_name), describe(practice_a.schema_name)
    for aspect in ("tables", "columns", "constraints", "indexes", "triggers", "migration records"):
        assert copied[aspect] == live[aspect], aspect
    assert any(row[:2] == ("eligibility_eligibilitysettings", "realtime_url") for row in copied["columns"])


def test_the_template_schema_holds_no_data(db: None) -> None:
    # django_migrations and django_content_type describe the schema itself, not a practice.
    metadata = {"django_migrations", "django_content_type"}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = "
            "'BASE TABLE'",
            [template_schema()],
        )
        tables = [row[0] for row in cursor.fetchall()]
        assert len(tables) > 10
        non_empty = []
        for table in tables:
            if table in metadata:
                continue
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{template_schema()}"."{table}")')  # noqa: S608
            if cursor.fetchone()[0]:
                non_empty.append(table)
    assert non_empty == []


def test_a_practice_row_left_without_its_schema_gets_one_before_migrations_run(db: None) -> None:
    from django_tenants.utils import tenant_context

    from practica.patients.models import Patient
    from tenants.provisioning import recreate_missing_schemas

    # bulk_create skips save(), so no schema is made: as if provisioning had been cut off.
    (orphan,) = Practice.objects.bulk_create(
        [Practice(name="Cut Off", slug="cut-off", schema_name="p_cut_off")]
    )
    assert not schema_exists("p_cut_off")

    assert recreate_missing_schemas() == ["p_cut_off"]

    assert schema_exists("p_cut_off")
    with tenant_context(orphan):
        assert Patient.objects.count() == 0
    assert recreate_missing_schemas() == []
    use_public_schema()
