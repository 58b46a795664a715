"""Ready schemas: a signup renames one instead of copying the template, never one behind the code,
never the same one twice; the pool refills itself and survives a deploy."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django_tenants.utils import schema_exists

from practica.core.tenancy import use_public_schema
from tenants import migrating
from tenants.models import Practice, ReadySchema
from tenants.pool import ready_schema_names, refill_ready_schemas, take_ready_schema
from tenants.services import provision_practice, sign_up_practice


def _forget_latest_migration(schema: str) -> None:
    app, name = migrating.leaf_migrations()[-1]
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s',  # noqa: S608
            [app, name],
        )


def test_a_signup_renames_a_ready_schema_and_the_pool_refills_after_commit(
    db: None, django_capture_on_commit_callbacks: object
) -> None:
    assert refill_ready_schemas(2) == 2
    first, second = ready_schema_names()
    assert refill_ready_schemas(2) == 0  # already full

    with override_settings(PRACTICE_READY_SCHEMAS=2), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        result = sign_up_practice(
            practice_name="Ready Clinic",
            slug="ready-clinic",
            owner_name="Ada Ready",
            email="ada@ready.example",
            password="correct-horse-battery-2026",
            plan=None,
        )

    schema = result.practice.schema_name
    assert schema_exists(schema) and not schema_exists(first)
    assert migrating.schemas_behind([schema]) == []
    # The oldest was taken; the task queued on commit made a new one.
    remaining = ready_schema_names()
    assert len(remaining) == 2 and remaining[0] == second and first not in remaining
    assert schema_exists(remaining[1])


def test_a_ready_schema_behind_the_code_is_never_handed_out_and_the_refill_replaces_it(db: None) -> None:
    assert refill_ready_schemas(1) == 1
    (stale,) = ready_schema_names()
    _forget_latest_migration(stale)

    practice = provision_practice(name="Careful Clinic", slug="careful-clinic", plan=None)

    # The signup copied the template instead; the stale schema was left alone.
    assert ready_schema_names() == [stale]
    assert migrating.schemas_behind([practice.schema_name]) == []

    assert refill_ready_schemas(1) == 1
    (fresh,) = ready_schema_names()
    assert fresh != stale and not schema_exists(stale)
    assert migrating.schemas_behind([fresh]) == []


def test_a_ready_schema_gone_missing_falls_back_to_a_copy_and_is_replaced(db: None) -> None:
    assert refill_ready_schemas(1) == 1
    (lost,) = ready_schema_names()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{lost}" CASCADE')

    practice = provision_practice(name="Lost Clinic", slug="lost-clinic", plan=None)

    assert schema_exists(practice.schema_name)
    assert migrating.schemas_behind([practice.schema_name]) == []

    # The refill forgets it and makes a new one.
    assert refill_ready_schemas(1) == 1
    (fresh,) = ready_schema_names()
    assert fresh != lost and schema_exists(fresh)


def test_the_deploy_migrates_the_ready_schemas_with_the_practices(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert refill_ready_schemas(1) == 1
    (ready,) = ready_schema_names()
    seen: list[str] = []

    def migrate_schemas(schemas: list[str], processes: int, progress: object) -> migrating.MigrationReport:
        seen.extend(schemas)
        return migrating.MigrationReport(checked=len(seen))

    monkeypatch.setattr("tenants.management.commands.migrate_practices.migrate_schemas", migrate_schemas)
    call_command("migrate_practices", processes=0, verbosity=0)

    assert ready in seen
    assert set(Practice.objects.exclude(schema_name="public").values_list("schema_name", flat=True)) <= set(
        seen
    )


RACED = ["p_ready_race_0", "p_ready_race_1"]


def _clean_up_race() -> None:
    use_public_schema()
    with connection.cursor() as cursor:
        for schema in [*RACED, *ready_schema_names()]:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    ReadySchema.objects.all().delete()


def _on_own_connection(work: object) -> object:
    def run() -> object:
        try:
            return work()  # type: ignore[operator]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def two_committed_ready_schemas(db: None) -> Iterator[None]:
    """The racing connections see committed rows only: made and removed on connections of their own."""
    _on_own_connection(lambda: refill_ready_schemas(2))
    try:
        yield
    finally:
        _on_own_connection(_clean_up_race)


def test_two_signups_at_once_never_get_the_same_ready_schema(two_committed_ready_schemas: None) -> None:
    # Both hold their ready schema's lock at the same moment: without SKIP LOCKED the second
    # would wait for the first and the barrier would time out.
    barrier = threading.Barrier(len(RACED))

    def take(target: str) -> bool:
        try:
            use_public_schema()
            with transaction.atomic():
                taken = take_ready_schema(target)
                barrier.wait(timeout=30)
            return taken
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(RACED)) as pool:
        taken = list(pool.map(take, RACED))

    assert taken == [True, True]

    def after() -> tuple[list[str], list[bool]]:
        use_public_schema()
        return ready_schema_names(), [schema_exists(schema) for schema in RACED]

    assert _on_own_connection(after) == ([], [True, True])
