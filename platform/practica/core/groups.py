"""Channels group names. Every group a practice uses starts with its schema, so a socket
of one practice can never join a group of another."""

from practica.core.tenancy import current_schema


def practice_group(name: str, schema_name: str | None = None) -> str:
    schema = schema_name or current_schema()
    return f"{schema}.{name}"
