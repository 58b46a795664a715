"""Create a practice schema as a copy of the template schema, reading the template's catalog only.

django-tenants' clone_schema() database function reads `information_schema` and `pg_catalog`
in ways that scan every schema of the database, so each signup got slower with every practice
(about +70 ms per existing practice). Here the template's structure is read once, by queries
that start from the template's namespace, and written down as one SQL script:

- each table `CREATE TABLE ... (LIKE template.table INCLUDING ALL)`: columns in order, defaults,
  identity, check, unique, primary-key and exclusion constraints and indexes, copied as parsed
  trees (a definition printed and parsed again is not always the same: `= ANY (ARRAY[...])`);
- the names PostgreSQL chose for the copied indexes, constraints and identity sequences put back
  to the template's (a later migration altering one by name must work on every practice); these
  renames are found once, by a trial copy rolled back;
- the rows of the tables that describe the schema itself (`django_migrations`, content types)
  and their sequences' positions; foreign keys, functions and triggers from their definitions.

The script is kept per process and read again when the template's migration records change (a
deploy). Creating a schema is then one round trip whose cost does not depend on how many
practices exist. tests/test_provisioning.py proves the result equals a freshly migrated schema.

A copy is never older than this code's migrations: when the template lacks one of the migration
graph's leaves (new code running before the deploy's `migrate_practices` reached the template),
the new schema's own pending migrations run before it is handed out, in the same transaction.
"""

import functools
import logging
import re
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from tenants import migrating

logger = logging.getLogger(__name__)

# Stands for the new schema's quoted name in the script.
_TARGET = "\x00schema\x00"
_TRIAL_SCHEMA = "practice_template_trial_copy"
# A name PostgreSQL prints without quotes (quote_ident leaves it alone).
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_$]*")
_INDEX_NAME = re.compile(r"INDEX \S+ ON ")

_TABLES = """
    SELECT relname FROM pg_class WHERE relnamespace = %(s)s::regnamespace AND relkind = 'r' ORDER BY oid"""

# Defaults naming one of the template's own objects (a serial column's sequence) must name the copy's.
_DEFAULTS = """
    SELECT c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid)
    FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.adnum
    WHERE c.relnamespace = %(s)s::regnamespace AND a.attgenerated = '' ORDER BY c.oid, a.attnum"""

# Sequences that are no identity column's: created on their own, owned by their column after.
_SEQUENCES = """
    SELECT seq.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
           s.seqmax, s.seqcache, s.seqcycle, tbl.relname, att.attname
    FROM pg_class seq JOIN pg_sequence s ON s.seqrelid = seq.oid
    LEFT JOIN pg_depend dep ON dep.objid = seq.oid AND dep.classid = 'pg_class'::regclass
         AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')
    LEFT JOIN pg_class tbl ON tbl.oid = dep.refobjid
    LEFT JOIN pg_attribute att ON att.attrelid = tbl.oid AND att.attnum = dep.refobjsubid
    WHERE seq.relnamespace = %(s)s::regnamespace AND seq.relkind = 'S' AND dep.deptype IS DISTINCT FROM 'i'
    ORDER BY seq.oid"""

_IDENTITY_SEQUENCES = """
    SELECT tbl.relname, att.attname, seq.relname, format_type(s.seqtypid, NULL)
    FROM pg_class seq JOIN pg_sequence s ON s.seqrelid = seq.oid
    JOIN pg_depend dep ON dep.objid = seq.oid AND dep.classid = 'pg_class'::regclass
         AND dep.refclassid = 'pg_class'::regclass AND dep.deptype = 'i'
    JOIN pg_class tbl ON tbl.oid = dep.refobjid
    JOIN pg_attribute att ON att.attrelid = tbl.oid AND att.attnum = dep.refobjsubid
    WHERE seq.relnamespace = %(s)s::regnamespace"""

_FUNCTIONS = """
    SELECT pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = %(s)s::regnamespace ORDER BY oid"""

_CONSTRAINTS = """
    SELECT c.relname, con.contype, pg_get_constraintdef(con.oid), con.conname
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
    WHERE con.connamespace = %(s)s::regnamespace"""

_FOREIGN_KEYS = """
    SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
    FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
    WHERE con.connamespace = %(s)s::regnamespace AND con.contype = 'f' ORDER BY con.oid"""

_INDEXES = """
    SELECT c.relname, ic.relname, pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
    WHERE ic.relnamespace = %(s)s::regnamespace"""

_TRIGGERS = """
    SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
    WHERE c.relnamespace = %(s)s::regnamespace AND NOT t.tgisinternal ORDER BY t.oid"""

_SEQUENCE_VALUES = """
    SELECT seq.relname, s.last_value FROM pg_class seq
    CROSS JOIN LATERAL (SELECT last_value FROM pg_sequence_last_value(seq.oid) AS last_value) s
    WHERE seq.relnamespace = %(s)s::regnamespace AND seq.relkind = 'S' AND s.last_value IS NOT NULL"""

# The template's migration records (count, last id: its version) and how many of the code's leaves
# it holds, in one query.
_MIGRATION_RECORDS = """
    SELECT count(*), coalesce(max(id), 0),
           count(*) FILTER (WHERE (app, name) IN (SELECT * FROM unnest(%s::text[], %s::text[])))
    FROM {}.django_migrations"""


@dataclass(frozen=True)
class TemplateScript:
    template: str
    version: tuple[int, int]  # the template's migration records (count, last id) when read
    sql: str

    def for_schema(self, schema: str) -> str:
        return self.sql.replace(_TARGET, _quote(schema))


_cache: dict[str, TemplateScript] = {}
_cache_lock = threading.Lock()


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _rows(sql: str, schema: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, {"s": schema})
        return [tuple(row) for row in cursor.fetchall()]


def _run(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@functools.cache
def _leaves() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """This code's latest migration of every app (apps, names): read once, the code does not change
    under a running process."""
    leaves = migrating.leaf_migrations()
    return tuple(app for app, _ in leaves), tuple(name for _, name in leaves)


def migration_state(template: str) -> tuple[tuple[int, int], bool]:
    """A schema's migration version and whether it holds every migration of this code."""
    apps, names = _leaves()
    with connection.cursor() as cursor:
        cursor.execute(_MIGRATION_RECORDS.format(_quote(template)), [list(apps), list(names)])
        count, last, leaves_held = cursor.fetchone()
    return (int(count), int(last)), int(leaves_held) == len(apps)


def migration_version(template: str) -> tuple[int, int]:
    return migration_state(template)[0]


def _unqualify(definition: str, schema: str) -> str:
    """Catalog functions name every object with its schema (the search path is empty while the
    template is read): the template's own name becomes the new schema's."""
    name = re.escape(schema) if _PLAIN_NAME.fullmatch(schema) else re.escape(_quote(schema))
    return re.sub(rf'(?<![\w"$]){name}\.', lambda _match: f"{_TARGET}.", definition)


def _constraints(schema: str) -> dict[tuple[str, str, str], list[str]]:
    found: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for table, kind, definition, name in _rows(_CONSTRAINTS, schema):
        found[(table, kind, _unqualify(definition, schema))].append(name)
    return found


def _indexes(schema: str) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for table, name, definition in _rows(_INDEXES, schema):
        found[(table, _INDEX_NAME.sub("INDEX ? ON ", _unqualify(definition, schema), count=1))].append(name)
    return found


def _renames(template: Mapping[Any, list[str]], copy: Mapping[Any, list[str]]) -> list[tuple[Any, str, str]]:
    renames: list[tuple[Any, str, str]] = []
    for key, wanted in template.items():
        have = copy.get(key, [])
        missing = sorted(set(wanted) - set(have))
        extra = sorted(set(have) - set(wanted))
        renames.extend((key, old, new) for old, new in zip(extra, missing, strict=False))
    return renames


def _tables_script(template: str) -> list[str]:
    """The schema, its functions and sequences, and the tables copied with LIKE."""
    target = _TARGET
    statements = [f"CREATE SCHEMA {target}"]
    statements += [_unqualify(row[0], template) for row in _rows(_FUNCTIONS, template)]
    owned_by = []
    for name, data_type, start, step, low, high, cache, cycle, table, column in _rows(_SEQUENCES, template):
        statements.append(
            f"CREATE SEQUENCE {target}.{_quote(name)} AS {data_type} START WITH {start} INCREMENT BY {step} "
            f"MINVALUE {low} MAXVALUE {high} CACHE {cache}{' CYCLE' if cycle else ''}"
        )
        if table is not None:
            owned_by.append(
                f"ALTER SEQUENCE {target}.{_quote(name)} OWNED BY {target}.{_quote(table)}.{_quote(column)}"
            )
    for (table,) in _rows(_TABLES, template):
        statements.append(
            f"CREATE TABLE {target}.{_quote(table)} (LIKE {_quote(template)}.{_quote(table)} INCLUDING ALL)"
        )
    for table, column, default in _rows(_DEFAULTS, template):
        if _TARGET in (local := _unqualify(default, template)):
            statements.append(
                f"ALTER TABLE {target}.{_quote(table)} ALTER COLUMN {_quote(column)} SET DEFAULT {local}"
            )
    return statements + owned_by


def _rename_script(template: str, tables: list[str]) -> list[str]:
    """Run the tables' script into a trial schema (rolled back) and list the renames that give the
    copy the template's names for its constraints, indexes and identity sequences."""
    statements: list[str] = []
    trial = _quote(_TRIAL_SCHEMA)
    with transaction.atomic():
        _run(";\n".join(tables).replace(_TARGET, trial))
        for (table, _kind, _definition), old, new in _renames(
            _constraints(template), _constraints(_TRIAL_SCHEMA)
        ):
            statements.append(
                f"ALTER TABLE {_TARGET}.{_quote(table)} RENAME CONSTRAINT {_quote(old)} TO {_quote(new)}"
            )
        if statements:
            _run(";\n".join(statements).replace(_TARGET, trial))
        index_renames = [
            f"ALTER INDEX {_TARGET}.{_quote(old)} RENAME TO {_quote(new)}"
            for _key, old, new in _renames(_indexes(template), _indexes(_TRIAL_SCHEMA))
        ]
        wanted = {
            (table, column): (name, kind)
            for table, column, name, kind in _rows(_IDENTITY_SEQUENCES, template)
        }
        for table, column, name, kind in _rows(_IDENTITY_SEQUENCES, _TRIAL_SCHEMA):
            wanted_name, wanted_kind = wanted[(table, column)]
            if wanted_name != name:
                index_renames.append(
                    f"ALTER SEQUENCE {_TARGET}.{_quote(name)} RENAME TO {_quote(wanted_name)}"
                )
            if wanted_kind != kind:
                index_renames.append(f"ALTER SEQUENCE {_TARGET}.{_quote(wanted_name)} AS {wanted_kind}")
        transaction.set_rollback(True)
    return statements + index_renames


def read_template(template: str) -> TemplateScript:
    """The SQL that builds a copy of `template`'s structure and schema-describing rows."""
    _run("SET search_path TO ''")
    try:
        version = migration_version(template)
        statements = _tables_script(template)
        statements += _rename_script(template, statements)
        _run("SET search_path TO ''")  # rolling the trial back may have had it set again
        # The rows that describe the schema itself (migration records, content types): the
        # template holds no practice data (tests/test_provisioning.py).
        for (table,) in _rows(_TABLES, template):
            source = f"{_quote(template)}.{_quote(table)}"
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {source})")  # noqa: S608
                if cursor.fetchone()[0]:
                    statements.append(f"INSERT INTO {_TARGET}.{_quote(table)} SELECT * FROM {source}")  # noqa: S608
        for name, last_value in _rows(_SEQUENCE_VALUES, template):
            statements.append(f"SELECT setval('{_TARGET}.{_quote(name)}', {int(last_value)}, true)")
        for table, name, definition in _rows(_FOREIGN_KEYS, template):
            local = _unqualify(definition, template)
            statements.append(f"ALTER TABLE {_TARGET}.{_quote(table)} ADD CONSTRAINT {_quote(name)} {local}")
        statements += [_unqualify(row[0], template) for row in _rows(_TRIGGERS, template)]
    finally:
        # django-tenants sets the current practice's search path again before the next query.
        connection.search_path_set_schemas = None  # type: ignore[attr-defined]
    return TemplateScript(template=template, version=version, sql=";\n".join(statements) + ";\n")


def template_script(template: str) -> tuple[TemplateScript, bool]:
    """The cached script, read again when the template's migration records changed (a deploy),
    and whether the template holds every migration of this code."""
    version, current = migration_state(template)
    with _cache_lock:
        script = _cache.get(template)
        if script is None or script.version != version:
            script = _cache[template] = read_template(template)
    return script, current


def copy_template(template: str, schema: str) -> None:
    """Create `schema` as a copy of `template`: one statement batch, in the caller's transaction;
    then, if the template is behind this code, the copy's pending migrations."""
    script, current = template_script(template)
    _run(script.for_schema(schema))
    if not current:
        logger.warning(
            "Template schema %s is behind this code's migrations: migrating the new schema %s itself; "
            "run migrate_practices to bring the template up to date.",
            template,
            schema,
        )
        migrating.migrate_schema(schema)
