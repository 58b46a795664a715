"""What must stay true for Practica to move onto Citus schema-based sharding (ARCHITECTURE.md,
"Past one machine"): every practice schema can become a distributed schema living on any one
node, and public's tables reference tables copied to every node. So nothing may tie one practice
schema to another, or public to a practice schema:

- no foreign key from public into a practice schema, nor from one practice schema into another;
- no view of public (or of another practice) reading a practice schema's tables;
- no public model pointing at a practice model;
- no statement naming two practice schemas (no query joins two practices: a view across
  practices reads public summaries).

Each check is run once on the real thing and once on a planted offender, so it can fail."""

import ast
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.db.models import Model
from django.test import Client
from django.test.utils import isolate_apps
from django_tenants.utils import tenant_context

from practica.accounts.models import BillingCompanyAccess
from practica.patients.models import Patient
from tenants.models import Practice
from tenants.services import provision_practice
from tests.conftest import PUBLIC_HOST, signed_in_client
from tests.factories import BillingCompanyFactory, BillingCompanyMemberFactory, PatientFactory

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("platform", "tenants", "notifications", "portal", "api")
SYSTEM_SCHEMAS = ("public", "pg_catalog", "information_schema", "pg_toast")

# Modules that cross practices on purpose and may name a schema in SQL (one per statement).
SCHEMA_NAMING_MODULES = {
    "tenants/cloning.py",  # renames a new practice's constraints after its template's
    "tenants/retention.py",  # drops a purged practice's schema
    "tenants/migrating.py",  # the deploy's check of which schemas are behind (see below)
}
# The one exception to "one practice per statement": the deploy's check of which schemas are
# behind reads `django_migrations` of a batch of schemas in one UNION ALL. It is bookkeeping, not
# practice data, and on Citus it would run per node (or per schema); it must stay the only one.
MANY_SCHEMAS_PER_STATEMENT = {"tenants/migrating.py"}


# ---- the database: foreign keys and views ---------------------------------------------------------


def foreign_keys_leaving_their_schema() -> list[tuple[str, str, str]]:
    """Foreign keys whose table and referenced table are in different schemas, the referenced one
    not public (a practice's table may reference public's: a reference table on every node)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT con.conname, sn.nspname || '.' || src.relname, tn.nspname || '.' || dst.relname
               FROM pg_constraint con
               JOIN pg_class src ON src.oid = con.conrelid JOIN pg_namespace sn ON sn.oid = src.relnamespace
               JOIN pg_class dst ON dst.oid = con.confrelid JOIN pg_namespace tn ON tn.oid = dst.relnamespace
               WHERE con.contype = 'f' AND sn.nspname <> tn.nspname AND tn.nspname <> 'public'
               ORDER BY 1"""
        )
        return [tuple(row) for row in cursor.fetchall()]


def views_reading_another_schema() -> list[tuple[str, str]]:
    """Views (and materialized views) reading tables of a practice schema other than their own."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT vn.nspname || '.' || v.relname, tn.nspname || '.' || t.relname
               FROM pg_rewrite r
               JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
               JOIN pg_depend d ON d.objid = r.oid AND d.classid = 'pg_rewrite'::regclass
                    AND d.refclassid = 'pg_class'::regclass
               JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
               WHERE v.relkind IN ('v', 'm') AND t.oid <> v.oid AND vn.nspname <> tn.nspname
                 AND tn.nspname <> ALL(%s) AND vn.nspname NOT IN ('pg_catalog', 'information_schema')
               ORDER BY 1, 2""",
            [list(SYSTEM_SCHEMAS)],
        )
        return [tuple(row) for row in cursor.fetchall()]


def test_no_foreign_key_leaves_a_practice_schema_or_enters_one_from_public(db: None) -> None:
    assert foreign_keys_leaving_their_schema() == []


def test_a_foreign_key_from_public_or_another_practice_is_found(
    practice_a: Practice, practice_b: Practice
) -> None:
    a, b = practice_a.schema_name, practice_b.schema_name
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE public.probe_public (p uuid REFERENCES "{a}".patients_patient (id))')
        cursor.execute(f'CREATE TABLE "{b}".probe_crossing (p uuid REFERENCES "{a}".patients_patient (id))')
    found = {(source, target) for _name, source, target in foreign_keys_leaving_their_schema()}
    assert found == {
        ("public.probe_public", f"{a}.patients_patient"),
        (f"{b}.probe_crossing", f"{a}.patients_patient"),
    }


def test_no_view_reads_a_practice_schema_from_outside_it(db: None) -> None:
    assert views_reading_another_schema() == []


def test_a_view_reading_a_practice_schema_from_outside_is_found(
    practice_a: Practice, practice_b: Practice
) -> None:
    a, b = practice_a.schema_name, practice_b.schema_name
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE VIEW public.probe_patients AS SELECT id FROM "{a}".patients_patient')  # noqa: S608
        both = f'SELECT id FROM "{a}".patients_patient UNION ALL SELECT id FROM "{b}".patients_patient'  # noqa: S608
        cursor.execute(f'CREATE VIEW "{a}".probe_both AS {both}')
    assert views_reading_another_schema() == [
        (f"{a}.probe_both", f"{b}.patients_patient"),
        ("public.probe_patients", f"{a}.patients_patient"),
    ]


# ---- the models ------------------------------------------------------------------------------------


def _public_only_apps() -> set[str]:
    return {app for app in settings.SHARED_APPS if app not in settings.TENANT_APPS}


def _practice_only_apps() -> set[str]:
    return {app for app in settings.TENANT_APPS if app not in settings.SHARED_APPS}


def public_models_pointing_into_practices(candidates: Iterable[type[Model]]) -> list[str]:
    public, practice = _public_only_apps(), _practice_only_apps()
    found = []
    for model in candidates:
        if model._meta.app_config is None or model._meta.app_config.name not in public:
            continue
        for field in model._meta.get_fields():
            target = field.related_model
            if isinstance(target, type) and target._meta.app_config.name in practice:
                found.append(f"{model._meta.label}.{field.name} -> {target._meta.label}")
    return found


def test_no_public_model_points_at_a_practice_model() -> None:
    assert public_models_pointing_into_practices(apps.get_models(include_auto_created=True)) == []


def test_a_public_model_pointing_at_a_practice_model_is_found() -> None:
    with isolate_apps("practica.accounts"):

        class Probe(models.Model):  # noqa: DJ008
            patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")

            class Meta:
                app_label = "accounts"

        assert public_models_pointing_into_practices([Probe]) == [
            "accounts.Probe.patient -> patients.Patient"
        ]


# ---- statements: no query names two practice schemas ----------------------------------------------

_QUALIFIER = re.compile(r'(?:"([^"]+)"|\b([A-Za-z_][A-Za-z0-9_$]*))\s*\.\s*(?=["A-Za-z_*])')


def practice_schemas_named(sql: str, schemas: set[str]) -> set[str]:
    """The practice schemas a statement qualifies a name with (`"alpha"."patients_patient"`)."""
    return {quoted or bare for quoted, bare in _QUALIFIER.findall(sql)} & schemas


def _practice_schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname <> ALL(%s) AND nspname NOT LIKE 'pg\\_%%'",
            [list(SYSTEM_SCHEMAS)],
        )
        return {row[0] for row in cursor.fetchall()}


@contextmanager
def statements_naming_two_practices(extra_schemas: Iterable[str] = ()) -> Iterator[list[str]]:
    """Collects every statement run on this connection meanwhile that names two practice schemas."""
    schemas = _practice_schemas() | set(extra_schemas)
    offenders: list[str] = []

    def guard(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if len(practice_schemas_named(str(sql), schemas)) > 1:
            offenders.append(str(sql))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(guard):
        yield offenders


def test_the_work_that_crosses_practices_names_one_practice_per_statement(
    practice_a: Practice, practice_b: Practice
) -> None:
    company = BillingCompanyFactory.create()
    member = BillingCompanyMemberFactory.create(company=company)
    for practice in (practice_a, practice_b):
        BillingCompanyAccess.objects.create(company=company, practice=practice)
        with tenant_context(practice):
            PatientFactory.create()
    with statements_naming_two_practices(extra_schemas=["crossing"]) as offenders:
        provision_practice(name="Crossing Clinic", slug="crossing", plan=None)  # clone and rename
        from notifications.tasks import tick

        tick()  # beat's scan over every practice's due work
        from practica.eligibility.tasks import due_practices as eligibility_due

        eligibility_due()  # and over the practices whose nightly eligibility batch is due
        page = signed_in_client(member.user, None).get("/practices/")  # the billing company's clients
        assert page.status_code == 200
        assert Client(HTTP_HOST=PUBLIC_HOST).get("/").status_code == 200
    assert offenders == []


def test_a_statement_joining_two_practices_is_caught(practice_a: Practice, practice_b: Practice) -> None:
    a, b = practice_a.schema_name, practice_b.schema_name
    with statements_naming_two_practices() as offenders, connection.cursor() as cursor:
        joined = f'SELECT count(*) FROM {a}.patients_patient x JOIN "{b}".patients_patient y USING (id)'  # noqa: S608
        cursor.execute(joined)
        cursor.execute(f'SELECT count(*) FROM "{a}".patients_patient')  # noqa: S608  one practice: fine
    assert len(offenders) == 1 and b in offenders[0]


# ---- the source: where SQL names a schema ---------------------------------------------------------

_SQL_WORD = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|ALTER|CREATE|DROP|FROM|JOIN|INTO|TABLE|VIEW)\b")


def schema_qualified_sql(source: str) -> list[list[str]]:
    """For each SQL string in `source` that qualifies names with an expression (an f-string's
    `{schema}.table`, psycopg's `sql.Identifier(schema, table)`, or `%s.%s` / `{}.{}` templates),
    the qualifying expressions it uses."""
    found: list[list[str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                p.value for p in node.values if isinstance(p, ast.Constant) and isinstance(p.value, str)
            )
            if not _SQL_WORD.search(text):
                continue
            qualifiers = []
            for part, following in zip(node.values, node.values[1:], strict=False):
                if (
                    isinstance(part, ast.FormattedValue)
                    and isinstance(following, ast.Constant)
                    and re.match(r'"?\.["A-Za-z_{]', str(following.value))
                ):
                    qualifiers.append(ast.unparse(part.value))
            if qualifiers:
                found.append(sorted(set(qualifiers)))
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func).endswith("Identifier")
            and len(node.args) > 1
        ):
            found.append([ast.unparse(node.args[0])])
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _SQL_WORD.search(node.value)
            and re.search(r"(%s|\{\})\s*\.\s*(%s|\{\})", node.value)
        ):
            found.append(["?"])
    return found


def test_only_the_modules_crossing_practices_name_a_schema_and_one_per_statement() -> None:
    naming = {}
    for top in PRODUCT:
        for path in (ROOT / top).rglob("*.py"):
            found = schema_qualified_sql(path.read_text())
            if found:
                naming[str(path.relative_to(ROOT))] = found
    assert set(naming) <= SCHEMA_NAMING_MODULES, (
        "SQL naming a schema outside the modules that cross practices"
    )
    for module, statements in naming.items():
        if module not in MANY_SCHEMAS_PER_STATEMENT:
            assert all(len(qualifiers) == 1 for qualifiers in statements), (module, statements)


def test_sql_naming_schemas_is_found_in_source() -> None:
    source = """
def report(a, b, cursor):
    cursor.execute(f"SELECT * FROM {a}.patients_patient JOIN {b}.patients_patient USING (id)")
    cursor.execute(f'ALTER TABLE "{a}"."x" RENAME TO y')
    cursor.execute(sql.SQL("SELECT 1 FROM {}").format(sql.Identifier(a, "t")))
    cursor.execute("SELECT 1 FROM %s.%s" % (a, "t"))
    group = f"{a}.deliveries"  # not SQL
"""
    assert schema_qualified_sql(source) == [["a", "b"], ["a"], ["a"], ["?"]]


@pytest.mark.parametrize("module", sorted(SCHEMA_NAMING_MODULES))
def test_the_modules_allowed_to_name_a_schema_exist(module: str) -> None:
    assert (ROOT / module).exists()
