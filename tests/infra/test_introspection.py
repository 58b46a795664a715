"""The backend's table list is Django's, found without asking PostgreSQL about every relation in
the database (thousands of practice schemas make that slow; see practica.core.database)."""

from django.db import connection
from django.db.backends.postgresql.introspection import DatabaseIntrospection
from django_tenants.postgresql_backend.introspection import DatabaseSchemaIntrospectionSearchPathContext

from practica.core.database.base import Introspection
from practica.core.tenancy import use_public_schema, use_schema_of
from tenants.models import Practice
from tenants.provisioning import template_schema


def djangos_table_list() -> list[tuple[object, ...]]:
    with connection.cursor() as cursor, DatabaseSchemaIntrospectionSearchPathContext(cursor, connection):
        return sorted(DatabaseIntrospection.get_table_list(connection.introspection, cursor))


def test_the_table_list_is_djangos_in_a_practice_the_template_and_public(practice_a: Practice) -> None:
    assert isinstance(connection.introspection, Introspection)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE "{practice_a.schema_name}".probe_only_here (id int)')
        cursor.execute(f'CREATE VIEW "{practice_a.schema_name}".probe_view AS SELECT 1 AS one')
    use_schema_of(practice_a)
    with connection.cursor() as cursor:
        practice_tables = sorted(connection.introspection.get_table_list(cursor))
    assert practice_tables == djangos_table_list()
    names = {table.name: table.type for table in practice_tables}
    assert names["probe_only_here"] == "t" and names["probe_view"] == "v" and "patients_patient" in names

    connection.set_schema(template_schema())  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        template_tables = sorted(connection.introspection.get_table_list(cursor))
    assert template_tables == djangos_table_list()
    assert "probe_only_here" not in {table.name for table in template_tables}

    use_public_schema()
    with connection.cursor() as cursor:
        public_tables = sorted(connection.introspection.get_table_list(cursor))
    assert public_tables == djangos_table_list()
    assert "tenants_practice" in {table.name for table in public_tables}
    assert "patients_patient" not in {table.name for table in public_tables}
