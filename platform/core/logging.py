import logging

from django.db import connection

from core.context import request_id_var
from core.tenancy import current_schema


class TenantContextFilter(logging.Filter):
    """Stamps every log line with the practice schema and the request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        tenant = getattr(connection, "tenant", None)
        record.schema_name = getattr(tenant, "schema_name", None) or current_schema()
        record.request_id = request_id_var.get()
        return True
