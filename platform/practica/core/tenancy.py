"""Typed access to the tenant state django-tenants keeps on the database connection."""

from typing import Any, cast

from django.db import connection


def _tenant_connection() -> Any:
    return cast(Any, connection)


def current_schema() -> str:
    return str(_tenant_connection().schema_name)


def use_public_schema() -> None:
    _tenant_connection().set_schema_to_public()


def use_schema_of(practice: Any) -> None:
    """Point the connection at a practice's schema (tests and entry points; not domain code)."""
    _tenant_connection().set_tenant(practice)


def current_practice_id() -> int:
    """The id of the practice the connection is in (for queueing a task for it from a service)."""
    return int(_tenant_connection().tenant.pk)
