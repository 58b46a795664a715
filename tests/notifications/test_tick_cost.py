"""The beat tick's scan costs the same with 200 or 2,000 practices (benchmark; figures printed with -s)."""

import datetime
import time

from django.db import connection
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


def timed_tick() -> tuple[float, int]:
    """Median of 5 ticks, each finding DUE_PER_TICK practices (their lease is reset between runs)."""
    runs = []
    found = 0
    for _ in range(5):
        PracticeDueWork.objects.filter(schema_name__in=[f"bench_{i}" for i in range(DUE_PER_TICK)]).update(
            next_due_at=timezone.now() - datetime.timedelta(seconds=5)
        )
        begin = time.perf_counter()
        found = len(due_practices())
        runs.append(time.perf_counter() - begin)
    return sorted(runs)[2], found


def test_tick_cost_does_not_grow_with_practice_count(db: None) -> None:
    with schema_context("public"):
        add_practices(0, 200, DUE_PER_TICK)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE notifications_routing_practiceduework")
        small, found_small = timed_tick()
        add_practices(200, 1800, 0)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE notifications_routing_practiceduework")
        large, found_large = timed_tick()
    print(f"\ntick scan: 200 practices {small * 1000:.2f} ms, 2000 practices {large * 1000:.2f} ms")
    assert found_small == found_large == DUE_PER_TICK
    assert small < 0.2
    assert large < 0.2
