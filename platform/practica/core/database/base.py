"""django-tenants' PostgreSQL backend, counting the schemas its server connection has worked in.

A PostgreSQL backend caches the catalog entries of every schema it touches (a few hundred KiB per
practice, printed by tests/perf/bench_scale.py) and gives none back until it ends. DB_CONN_MAX_AGE
bounds a connection's age, not how many practices it serves in that time; with this count,
`recycle_after_many_schemas` closes a connection at the end of a request or task once it has
served more than DB_SCHEMAS_PER_CONNECTION schemas, so a backend's memory stays bounded whatever
the traffic.
"""

from typing import Any

from django.conf import settings
from django.db import connections
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper


class DatabaseWrapper(TenantDatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
