"""The beat tick's scan does not grow with the number of practices: one statement on an indexed
column of the public due-work index, whatever the count (timed by tests/perf/bench_tick.py)."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from notifications.routing.models import PracticeDueWork
from notifications.tasks import due_practices
from tests.notifications.due_index import add_index_only_practices

DUE_PER_TICK = 20


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
        add_index_only_practices("bench", 0, 200, DUE_PER_TICK)
        small, found_small = tick_statements()
        add_index_only_practices("bench", 200, 1800, 0)
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
