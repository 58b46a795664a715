"""A connection that has served more practice schemas than DB_SCHEMAS_PER_CONNECTION is closed at
the end of its request or task (never inside a transaction), so its backend's catalog cache, which
grows with every schema touched, stays bounded whatever the traffic."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from celery.signals import task_postrun
from django.core.signals import request_finished
from django.db import connection, transaction

from tenants.models import Practice
from tenants.provisioning import template_schema

T = TypeVar("T")


def on_own_connection(work: Callable[[], T]) -> T:
    """Outside the test's transaction: a thread's connection of its own, in autocommit."""

    def run() -> T:
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def serve(schema: str) -> None:
    connection.set_schema(schema)  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


@pytest.fixture
def three_schemas(practice_a: Practice, practice_b: Practice, settings: Any) -> list[str]:
    settings.DB_SCHEMAS_PER_CONNECTION = 2
    return [practice_a.schema_name, practice_b.schema_name, template_schema()]


@pytest.mark.parametrize("end", [request_finished, task_postrun], ids=["request", "task"])
def test_a_connection_past_the_limit_is_closed_at_the_end_of_its_request_or_task(
    three_schemas: list[str], end: Any
) -> None:
    def requests() -> list[tuple[int, bool]]:
        seen = []
        for schema in [*three_schemas, three_schemas[0]]:
            serve(schema)
            backend = connection.connection
            end.send(sender=None)
            seen.append((len(connection.schemas_touched), connection.connection is backend))  # type: ignore[attr-defined]
        return seen

    # Two schemas: kept. The third: closed after that request; the next one opens a fresh backend.
    assert on_own_connection(requests) == [(1, True), (2, True), (3, False), (1, True)]


def test_a_connection_inside_a_transaction_is_never_closed(three_schemas: list[str]) -> None:
    def in_transaction() -> bool:
        with transaction.atomic():
            for schema in three_schemas:
                serve(schema)
            backend = connection.connection
            request_finished.send(sender=None)
            return connection.connection is backend and connection.connection is not None

    assert on_own_connection(in_transaction)
