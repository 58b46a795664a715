"""django-tenants' PostgreSQL backend, counting the schemas its server connection has worked in.

A PostgreSQL backend caches the catalog entries of every schema it touches (a few hundred KiB per
practice, printed by tests/perf/bench_scale.py) and gives none back until it ends. DB_CONN_MAX_AGE
bounds a connection's age, not how many practices it serves in that time; with this count,
`recycle_after_many_schemas` closes a connection at the end of a request or task once it has
served more than DB_SCHEMAS_PER_CONNECTION schemas, so a backend's memory stays bounded whatever
the traffic.

Its introspection lists a schema's tables without asking PostgreSQL whether each of the database's
relations is visible (see Introspection).
"""

from typing import Any

from django.conf import settings
from django.db import connections
from django.db.backends.postgresql.introspection import TableInfo
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.postgresql_backend.introspection import (
    DatabaseSchemaIntrospection,
    DatabaseSchemaIntrospectionSearchPathContext,
)

# Django's table list, narrowed first to the schemas on the search path: Django asks
# pg_table_is_visible() of every relation in the database, which with 2,000 practices (over a
# million relations) took 0.6 s (this: 0.07 s), and a migration lists the tables several times
# per schema.
TABLE_LIST = """
    SELECT c.relname,
           CASE WHEN c.relispartition THEN 'p' WHEN c.relkind IN ('m', 'v') THEN 'v' ELSE 't' END,
           obj_description(c.oid, 'pg_class')
    FROM pg_catalog.pg_class c
    LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relnamespace = ANY (
        SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ANY (current_schemas(true))
    )
      AND c.relkind IN ('f', 'm', 'p', 'r', 'v')
      AND n.nspname NOT IN ('pg_catalog', 'pg_toast')
      AND pg_catalog.pg_table_is_visible(c.oid)
"""


class Introspection(DatabaseSchemaIntrospection):
    def get_table_list(self, cursor: Any) -> list[TableInfo]:
        with DatabaseSchemaIntrospectionSearchPathContext(cursor=cursor, connection=self.connection):
            cursor.execute(TABLE_LIST)
            return [TableInfo(*row) for row in cursor.fetchall() if row[0] not in self.ignored_tables]


class DatabaseWrapper(TenantDatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.introspection = Introspection(self)
        self.schemas_touched: set[str] = set()

    def connect(self) -> None:
        super().connect()
        self.schemas_touched = set()  # a new server backend, an empty catalog cache

    def _handle_search_path(self, cursor: Any = None) -> None:
        super()._handle_search_path(cursor)
        if self.search_path_set_schemas:
            self.schemas_touched.add(self.search_path_set_schemas[0])


def recycle_after_many_schemas(**kwargs: Any) -> None:
    """At the end of a request or task: close each connection that has served more schemas than
    DB_SCHEMAS_PER_CONNECTION (never one inside a transaction); the next query opens a new one."""
    limit = settings.DB_SCHEMAS_PER_CONNECTION
    if not limit:
        return
    for connection in connections.all(initialized_only=True):
        touched = getattr(connection, "schemas_touched", None)
        if touched is not None and len(touched) > limit and not connection.in_atomic_block:
            connection.close()
