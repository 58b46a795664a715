"""Make a cloned practice schema identical to its template, name for name.

django-tenants' clone_schema() rebuilds unique constraints and their indexes under names that
PostgreSQL chooses (`scheduling_provider_npi_key` instead of `one_provider_per_npi`) and recreates
every sequence as bigint. The structure is right but the names are not, and the names matter: a
later migration that alters or drops a constraint by name would fail on every cloned practice.
So after cloning, each differently named constraint and index is renamed to the template's name
and each sequence gets the template's type. tests/test_provisioning.py proves the result equals a
freshly migrated schema.
"""

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.db import connection

_INDEX_NAME = re.compile(r"INDEX \S+ ON ")


def _rows(sql: str, schema: str) -> list[tuple[str, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"s": schema})
        return [tuple(row) for row in cursor.fetchall()]


def _constraints(schema: str) -> dict[tuple[str, str, str], list[str]]:
    found: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    rows = _rows(
        """SELECT cls.relname, con.contype, pg_get_constraintdef(con.oid), con.conname
           FROM pg_constraint con JOIN pg_class cls ON cls.oid = con.conrelid
           JOIN pg_namespace ns ON ns.oid = con.connamespace WHERE ns.nspname = %(s)s""",
        schema,
    )
    for table, kind, definition, name in rows:
        found[(table, kind, definition.replace(f"{schema}.", ""))].append(name)
    return found


def _indexes(schema: str) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for table, name, definition in _rows(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = %(s)s", schema
    ):
        shape = _INDEX_NAME.sub("INDEX ? ON ", definition.replace(f"{schema}.", ""), count=1)
        found[(table, shape)].append(name)
    return found


def _renames(template: Mapping[Any, list[str]], clone: Mapping[Any, list[str]]) -> list[tuple[Any, str, str]]:
    renames: list[tuple[Any, str, str]] = []
    for key, wanted in template.items():
        have = clone.get(key, [])
        missing = sorted(set(wanted) - set(have))
        extra = sorted(set(have) - set(wanted))
        renames.extend((key, old, new) for old, new in zip(extra, missing, strict=False))
    return renames


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def match_template_names(template: str, schema: str) -> None:
    """Rename the clone's constraints and indexes, and retype its sequences, to the template's."""
    statements = []
    for (table, _kind, _definition), old, new in _renames(_constraints(template), _constraints(schema)):
        statements.append(
            f"ALTER TABLE {_quote(schema)}.{_quote(table)} RENAME CONSTRAINT {_quote(old)} TO {_quote(new)}"
        )
    _run(statements)
    statements = [
        f"ALTER INDEX {_quote(schema)}.{_quote(old)} RENAME TO {_quote(new)}"
        for _key, old, new in _renames(_indexes(template), _indexes(schema))
    ]
    sequence_sql = "SELECT sequencename, data_type::text FROM pg_sequences WHERE schemaname = %(s)s"
    wanted_types = {row[0]: row[1] for row in _rows(sequence_sql, template)}
    for sequence, data_type in _rows(sequence_sql, schema):
        if sequence in wanted_types and wanted_types[sequence] != data_type:
            statements.append(
                f"ALTER SEQUENCE {_quote(schema)}.{_quote(sequence)} AS {wanted_types[sequence]}"
            )
    _run(statements)


def _run(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
