"""Every log line says which practice and which request it belongs to.

`TenantContextFilter` sits on the log handlers (see LOGGING in settings), so it stamps records
from every logger, ours and the libraries'. Records that carry their request (Django's
`django.request` lines, written after the middleware has finished) take both fields from it;
others take them from the database connection's schema and the request-id contextvar, which
Celery tasks restore from their message headers (see practica.celery).
"""

import logging

from django.db import connection

from practica.core.context import request_id_var
from practica.core.tenancy import current_schema

NO_REQUEST = "-"


def _schema_of_connection() -> str:
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "schema_name", None) or current_schema()


class TenantContextFilter(logging.Filter):
    """Stamps every log record with `schema_name` and `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        tenant = getattr(request, "tenant", None)
        record.schema_name = getattr(tenant, "schema_name", None) or _schema_of_connection()
        record.request_id = getattr(request, "request_id", None) or request_id_var.get() or NO_REQUEST
        return True
