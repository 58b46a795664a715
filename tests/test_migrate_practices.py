"""migrate_practices finds the practices that are behind in one pass, migrates only those, names
the ones that fail without stopping the others, and a second run finishes them."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tenants import migrating
from tenants.models import Practice
from tenants.provisioning import template_schema
from tenants.services import provision_practice


def _forget(schema: str, migration: tuple[str, str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s',  # noqa: S608
            list(migration),
        )


def _record(schema: str, migration: tuple[str, str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{schema}".django_migrations (app, name, applied) VALUES (%s, %s, now())',  # noqa: S608
            list(migration),
        )


@pytest.fixture
def three_practices(practice_a: Practice, practice_b: Practice) -> list[str]:
    gamma = provision_practice(name="Gamma Care", slug="gamma-migrate", plan=None)
    return [practice_a.schema_name, practice_b.schema_name, gamma.schema_name]


def test_up_to_date_practices_are_found_in_one_query(
    three_practices: list[str], django_assert_num_queries: object
) -> None:
    leaves = migrating.leaf_migrations()
    schemas = [*three_practices, template_schema()]
    with django_assert_num_queries(2):  # type: ignore[operator]
        assert migrating.schemas_behind(schemas, leaves) == []

    _forget(three_practices[1], leaves[-1])
    assert migrating.schemas_behind(schemas, leaves) == [three_practices[1]]


def test_a_failing_practice_is_named_the_others_are_migrated_and_a_rerun_finishes_it(
    three_practices: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    alpha, beta, gamma = three_practices
    leaf = migrating.leaf_migrations()[0]
    for schema in three_practices:
        _forget(schema, leaf)
    migrated: list[str] = []

    def migrate_schema(schema: str) -> None:
        if schema == beta and not migrated.count("rerun"):
            raise RuntimeError("column already exists")
        _record(schema, leaf)
        migrated.append(schema)

    monkeypatch.setattr(migrating, "migrate_schema", migrate_schema)

    with pytest.raises(CommandError) as failure:
        call_command("migrate_practices", processes=0, verbosity=0)
    assert "1 failed: p_beta" in str(failure.value)
    assert "2 practices migrated" in str(failure.value)
    assert sorted(migrated) == sorted([alpha, gamma])
    assert migrating.schemas_behind(three_practices) == [beta]

    migrated.append("rerun")
    call_command("migrate_practices", processes=0, verbosity=0)
    assert migrated[-1] == beta and migrated.count(alpha) == 1 and migrated.count(gamma) == 1
    assert migrating.schemas_behind(three_practices) == []


def test_a_real_failure_is_reported_and_leaves_the_practice_behind(three_practices: list[str]) -> None:
    # A lost migration record: the real migrate_schemas runs that migration again for that practice
    # only, which fails there (the column it removes is gone), and the practice stays behind.
    leaf = ("contenttypes", "0002_remove_content_type_name")
    assert leaf in migrating.leaf_migrations()
    _forget(three_practices[2], leaf)
    report = migrating.migrate_schemas(three_practices, processes=0)
    assert report.migrated == []
    assert list(report.failed) == [three_practices[2]]
    assert "name" in report.failed[three_practices[2]]
    assert migrating.schemas_behind(three_practices) == [three_practices[2]]
