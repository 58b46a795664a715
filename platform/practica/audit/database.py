"""The audit trail in the database: triggers on every practice table, and the actor with each write.

Every table of a practice schema (but the trail itself) has an AFTER INSERT/UPDATE/DELETE row
trigger, `audit_row_change` (its function is in audit migration 0005), that writes an AuditEvent
into the same schema. So a queryset `.update()`, a `bulk_create`, a raw statement or a `psql`
session is audited as surely as a `save()`: nothing written to a practice's rows skips the trail.

Who did it travels with the statement itself: the execute wrapper below ends every INSERT,
UPDATE, DELETE or WITH sent in a practice schema with a comment, `/*practica-actor:{...}*/`. A
statement-level trigger, `audit_statement_actor`, reads it back from `current_query()` once per
statement and hands it to that statement's row triggers in a transaction-local setting, which the
next statement replaces. So no statement is added (not one per request, nor per transaction), an
actor never lingers on a pooled connection or reaches someone else's work, and nothing depends on
the driver's protocol. The actor is the contextvar of practica.audit.context, set by each entry
point; a statement without the comment (a `psql` session, say) is recorded as the system's.

The triggers are (re)installed after every `migrate` of a practice schema (the template schema
included, so clones of it carry them): a new model is audited without anyone writing a migration
for it. tests/audit/test_actors.py checks that every practice table has them.
"""

import functools
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model

from practica.audit.context import Actor, current_actor
from practica.core.context import request_id_var

TRIGGER = "audit_row_change"
STATEMENT_TRIGGER = "audit_statement_actor"

# What the trail shows as a record's label (str() of the model, for the Python-side events); the
# first of these columns a model has is used for the others.
LABEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients.patient": ("last_name", "first_name"),
}
_DEFAULT_LABEL_COLUMNS = ("name", "title", "subject", "email")
_NOT_AUDITED = {"audit.auditevent", "contenttypes.contenttype"}


# --- the actor, carried with each write ---

_WRITES = ("INSERT", "UPDATE", "DELETE", "WITH ", "MERGE")
MARK = "practica-actor:"
# The JSON is written so that it holds no '/', '*' or '%': it cannot end (or nest) its comment, the
# trigger's pattern finds the comment only at the very end of the statement (so a value written
# earlier in the statement can never pass for it), and the driver's placeholders are left alone.
_ESCAPES = str.maketrans({"/": "\\u002f", "*": "\\u002a", "%": "\\u0025"})


@functools.lru_cache(maxsize=512)
def _actor_comment(actor: Actor, request_id: str) -> str:
    data = {
        "k": actor.kind,
        "n": actor.name,
        "id": actor.user_id,
        "e": actor.email,
        "r": actor.role,
        "ip": actor.ip_address,
        "ua": actor.user_agent,
        "rq": request_id,
    }
    clean = {
        key: value.replace("\x00", "") if isinstance(value, str) else value for key, value in data.items()
    }
    return f" /*{MARK}{json.dumps(clean, separators=(',', ':')).translate(_ESCAPES)}*/"


def actor_comment() -> str:
    """The comment that names the current actor to the triggers a statement sets off."""
    return _actor_comment(current_actor.get(), request_id_var.get())


def carry_actor(
    execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """Execute wrapper: end each write in a practice schema with the actor (see the module's doc)."""
    if (
        isinstance(sql, str)
        and getattr(context["connection"], "schema_name", "public") != "public"
        and sql.lstrip()[:6].upper().startswith(_WRITES)
    ):
        sql += actor_comment()
    return execute(sql, params, many, context)


def add_actor_wrapper(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created receiver. First in the list, so a test's own wrapper (pushed and popped
    around a block) never removes it."""
    if carry_actor not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, carry_actor)


# --- the triggers ---


def audited_models() -> list[type[Model]]:
    """Every model stored in a practice schema, the link tables of many-to-many fields included."""
    labels = {config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS}
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in labels
        and model._meta.label_lower not in _NOT_AUDITED
        and model._meta.managed
        and not model._meta.proxy
    ]


def trigger_arguments(model: type[Model]) -> tuple[str, ...]:
    """(object type, 'row', label columns, {column: field name}) for a model's own rows;
    (owner's type, 'link', owner column, field name) for a many-to-many link table, whose rows
    are recorded as an update of the owning record's field (as the relation is edited)."""
    owner: Any = model._meta.auto_created  # the model whose many-to-many field made this table
    if owner:
        for field in owner._meta.local_many_to_many:
            if field.remote_field.through is model:
                return (owner._meta.label_lower, "link", field.m2m_column_name(), field.name)
    fields = model._meta.concrete_fields
    columns = [field.column for field in fields]
    wanted = LABEL_COLUMNS.get(model._meta.label_lower) or next(
        ((column,) for column in _DEFAULT_LABEL_COLUMNS if column in columns), ()
    )
    names = {field.column: field.name for field in fields if field.column != field.name}
    return (model._meta.label_lower, "row", ",".join(wanted), json.dumps(names, sort_keys=True))


# Catalog lookups by table name and schema, which PostgreSQL's catalog indexes answer directly:
# a query by schema alone (information_schema's, say) reads every relation in the database, a
# million of them with 2,000 practices, and this runs in every schema a deploy migrates.
IN_SCHEMA = "cls.relname = ANY(%s) AND cls.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s)"


def _existing(cursor: Any, schema: str, tables: list[str]) -> dict[tuple[str, str], tuple[str, ...]]:
    cursor.execute(
        f"""SELECT cls.relname, trg.tgname, trg.tgargs FROM pg_trigger trg
            JOIN pg_class cls ON cls.oid = trg.tgrelid
            WHERE {IN_SCHEMA} AND trg.tgname IN (%s, %s)""",  # noqa: S608  (a constant)
        [tables, schema, TRIGGER, STATEMENT_TRIGGER],
    )
    return {
        (table, name): tuple(arg.decode() for arg in bytes(raw).split(b"\x00")[:-1])
        for table, name, raw in cursor.fetchall()
    }


def install_triggers(using: str = "default", models: Iterable[type[Model]] | None = None) -> list[str]:
    """Create or update the audit triggers of each practice table in the connection's schema;
    returns the tables changed (none when all are in place, as after most deploys)."""
    connection = connections[using]
    schema = getattr(connection, "schema_name", "public")
    if schema == "public":
        return []
    quote = connection.ops.quote_name
    changed = []
    with connection.cursor() as cursor:
        # A schema migrated only part of the way (to a target before the audit app's migrations)
        # has no trigger functions yet: they come with those migrations, and so do its triggers.
        cursor.execute(
            """SELECT count(DISTINCT proc.proname) FROM pg_proc proc
               JOIN pg_namespace ns ON ns.oid = proc.pronamespace
               WHERE ns.nspname = %s AND proc.proname IN (%s, %s)""",
            [schema, TRIGGER, STATEMENT_TRIGGER],
        )
        if cursor.fetchone()[0] < 2:
            return []
        candidates = list(models if models is not None else audited_models())
        wanted = [model._meta.db_table for model in candidates]
        cursor.execute(f"SELECT cls.relname FROM pg_class cls WHERE {IN_SCHEMA}", [wanted, schema])  # noqa: S608
        tables = {row[0] for row in cursor.fetchall()}
        have = _existing(cursor, schema, wanted)
        for model in candidates:
            table = model._meta.db_table
            if table not in tables:
                continue
            target = f"{quote(schema)}.{quote(table)}"
            statements = []
            if (table, STATEMENT_TRIGGER) not in have:
                statements.append(
                    f"CREATE OR REPLACE TRIGGER {STATEMENT_TRIGGER} BEFORE INSERT OR UPDATE OR DELETE "
                    f"ON {target} FOR EACH STATEMENT EXECUTE FUNCTION {quote(schema)}.{STATEMENT_TRIGGER}()"
                )
            args = trigger_arguments(model)
            if have.get((table, TRIGGER)) != args:
                literals = ", ".join("'" + arg.replace("'", "''") + "'" for arg in args)
                statements.append(
                    f"CREATE OR REPLACE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE "
                    f"ON {target} FOR EACH ROW EXECUTE FUNCTION {quote(schema)}.{TRIGGER}({literals})"
                )
            for statement in statements:
                cursor.execute(statement)
            if statements:
                changed.append(table)
    return changed


def install_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver of the audit app: runs in each schema `migrate_schemas` migrates."""
    install_triggers(using)
