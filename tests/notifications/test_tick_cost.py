"""The beat tick's scan does not grow with the number of practices: one statement on an indexed
column of the public due-work index, whatever the count (timed by tests/perf/bench_tick.py)."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from notifications.routing.models import PracticeDueWork
from notifications.tasks import due_practices
from tenants.models import Practice

DUE_PER_TICK = 20


def add_practices(start: int, count: int, due: int) -> None:
    """Practice rows without schemas (bulk_create skips schema creation): enough for the index."""
    now = timezone.now()
    practices = Practice.objects.bulk_create(
        Practice(name=f"Bench {i}", slug=f"bench-{i}", schema_name=f"bench_{i}")
        for i in range(start, start + count)
    )
    PracticeDueWork.objects.bulk_create(
        PracticeDueWork(
            practice=practice,
            schema_name=practice.schema_name,
            next_due_at=now - datetime.timedelta(seconds=5)
            if n < due
            else now + datetime.timedelta(hours=1 + n),
        )
        for n, practice in enumerate(practices)
    )


def tick_statements() -> tuple[list[str], int]:
    """The statements of one tick that finds the first DUE_PER_TICK practices due again."""
    PracticeDueWork.objects.filter(schema_name__in=[f"bench_{i}" for i in range(DUE_PER_TICK)]).update(
        next_due_at=timezone.now() - datetime.timedelta(seconds=5)
    )
    with CaptureQueriesContext(connection) as queries:
        found = due_practices()
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]
    return statements, len(found)


def test_a_tick_is_one_statement_on_an_indexed_column_with_200_or_2000_practices(db: None) -> None:
    with schema_context("public"):
        add_practices(0, 200, DUE_PER_TICK)
        small, found_small = tick_statements()
        add_practices(200, 1800, 0)
        large, found_large = tick_statements()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
                [PracticeDueWork._meta.db_table],
            )
            indexes = [row[0] for row in cursor.fetchall()]
    assert found_small == found_large == DUE_PER_TICK
    assert len(small) == len(large) == 1
    assert small[0].lstrip().startswith("UPDATE") and "next_due_at <=" in small[0]
    assert any("(next_due_at)" in index for index in indexes), indexes
