"""Migrating thousands of practice schemas: find the ones behind, migrate them in parallel, resumably.

Which practices need migrating is found without opening a migration executor per schema: one
query per few hundred schemas counts, in each schema's `django_migrations`, the records of the
migration graph's leaves (every app's latest migration). A schema holding all of them is up to
date and skipped, so a deploy with nothing to do costs a few queries even with 10,000 practices.

The others are migrated by a pool of processes, each practice in its own transactions (Django's,
one per migration) so the site keeps serving every other practice meanwhile. Each practice goes
through Django's migration executor as `migrate` would run it, with one saving: the project
states before and after the migrations (every applied migration replayed in memory, most of
`migrate`'s time per schema) are rendered once per worker for all the practices at the same
point, then reused. A practice whose migration fails is reported by name and does not stop the
others; its records stay behind, so the next run picks up exactly the practices still behind.
"""

import multiprocessing
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState, StateApps

from practica.core.tenancy import use_public_schema

# Schemas per query when looking for the ones behind (each adds one table to the query).
CHECK_BATCH = 500
# Schemas one connection migrates before it is replaced, as DB_SCHEMAS_PER_CONNECTION does for
# web and worker processes: each schema touched adds to the backend's catalog cache.
SCHEMAS_PER_WORKER = 200


@dataclass
class MigrationReport:
    checked: int = 0
    migrated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # schema -> last line of its error


def leaf_migrations() -> list[tuple[str, str]]:
    """Every app's latest migration in this code."""
    return sorted(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())


def schemas_behind(schemas: Sequence[str], leaves: Sequence[tuple[str, str]] | None = None) -> list[str]:
    """The schemas among `schemas` whose django_migrations lacks one of the graph's leaves."""
    leaves = leaf_migrations() if leaves is None else list(leaves)
    behind: list[str] = []
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace n WHERE nspname = ANY(%s) AND EXISTS "
            "(SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid AND c.relname = 'django_migrations')",
            [list(schemas)],
        )
        with_records = {row[0] for row in cursor.fetchall()}
        behind += [schema for schema in schemas if schema not in with_records]
        ready = [schema for schema in schemas if schema in with_records]
        for start in range(0, len(ready), CHECK_BATCH):
            batch = ready[start : start + CHECK_BATCH]
            query = " UNION ALL ".join(
                f"SELECT %s, count(*) FROM {qn(schema)}.django_migrations "  # noqa: S608
                "WHERE (app, name) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
                for schema in batch
            )
            apps, names = [app for app, _ in leaves], [name for _, name in leaves]
            params: list[Any] = []
            for schema in batch:
                params += [schema, apps, names]
            cursor.execute(query, params)
            behind += [schema for schema, count in cursor.fetchall() if count < len(leaves)]
    return behind


# What this process has rendered, by the migrations already applied (and those planned): the
# schemas of one deploy are nearly all at the same point, so each is rendered once and reused.
_state_before: dict[frozenset[tuple[str, str]], ProjectState] = {}
_apps_after: dict[tuple[frozenset[tuple[str, str]], tuple[tuple[str, str], ...]], StateApps] = {}


def migrate_schema(schema: str) -> None:
    """Run the pending practice migrations of one schema, as Django's `migrate` would there."""
    try:
        # The records live in the schema itself, never in public (as django-tenants does it).
        connection.set_schema(schema, include_public=False)  # type: ignore[attr-defined]
        MigrationRecorder(connection).ensure_schema()
        connection.set_schema(schema)  # type: ignore[attr-defined]
        executor = MigrationExecutor(connection)
        executor.loader.check_consistent_history(connection)
        targets = executor.loader.graph.leaf_nodes()
        plan = executor.migration_plan(targets)
        if not plan:
            return
        applied = frozenset(executor.loader.applied_migrations)
        if applied not in _state_before:
            state = executor._create_project_state(with_applied_migrations=True)  # type: ignore[attr-defined]
            state.apps  # noqa: B018  (rendered once here, not once per schema)
            _state_before.clear()
            _state_before[applied] = state
        before = _state_before[applied].clone()
        emit_pre_migrate_signal(0, False, connection.alias, apps=before.apps, plan=plan)
        after = executor.migrate(targets, plan=plan, state=before)
        planned = (applied, tuple((migration.app_label, migration.name) for migration, _ in plan))
        if planned not in _apps_after:
            after.clear_delayed_apps_cache()
            _apps_after.clear()
            _apps_after[planned] = after.apps
        # The post-migrate handlers (content types) only read the models they are given.
        emit_post_migrate_signal(0, False, connection.alias, apps=_apps_after[planned], plan=plan)
    finally:
        use_public_schema()


def _migrate_in_worker(schema: str) -> tuple[str, str | None]:
    try:
        migrate_schema(schema)
    except Exception as exc:  # any failure is this practice's alone, reported by name
        lines = traceback.format_exception_only(type(exc), exc)
        return schema, lines[-1].strip()
    return schema, None


def _migrate_in_this_process(numbered: tuple[int, str]) -> tuple[str, str | None]:
    number, schema = numbered
    if number and number % SCHEMAS_PER_WORKER == 0:
        connection.close()  # a backend's catalog cache grows with every schema it touches
    return _migrate_in_worker(schema)


def migrate_schemas(
    schemas: Iterable[str],
    processes: int,
    progress: Callable[[str, str | None], None] | None = None,
) -> MigrationReport:
    """Migrate the schemas that are behind, `processes` at a time (0: in this process)."""
    schemas = list(schemas)
    report = MigrationReport(checked=len(schemas))
    behind = schemas_behind(schemas)
    if not behind:
        return report
    if processes <= 0:
        _collect(map(_migrate_in_this_process, enumerate(behind)), report, progress)
        return report
    connections.close_all()  # forked workers each open their own connection
    context = multiprocessing.get_context("fork")
    with context.Pool(processes=processes, maxtasksperchild=SCHEMAS_PER_WORKER) as pool:
        _collect(pool.imap_unordered(_migrate_in_worker, behind), report, progress)
    return report


def _collect(
    results: Iterable[tuple[str, str | None]],
    report: MigrationReport,
    progress: Callable[[str, str | None], None] | None,
) -> None:
    for schema, error in results:
        if error is None:
            report.migrated.append(schema)
        else:
            report.failed[schema] = error
        if progress is not None:
            progress(schema, error)
