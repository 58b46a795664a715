"""Benchmark: the cost of one Celery beat tick (the scan for practices with reminders due) with 200
and with 2,000 practices.

Run (after `bin/test` or `bin/run` has set up .venv and the database):

    .venv/bin/python tests/perf/bench_tick.py [--due 20] [--rounds 21] [--quick]

Method: the public due-work index gets 200 practices, of which `--due` have work due, and is
vacuumed and analysed (as autovacuum keeps it); the tick's scan (notifications.tasks.due_practices,
one UPDATE ... RETURNING) runs `--rounds` times, the same practices made due again before each.
Then 1,800 more practices with nothing due are added and the same is measured. Practice rows are
made without schemas (the tick reads only the public index) and are deleted at the end.
"""

import argparse
import datetime
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.perf.django_env import machine, migrate_project, parse_args, setup_django, summary

setup_django()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from psycopg import sql  # noqa: E402

from notifications.routing.models import PracticeDueWork  # noqa: E402
from notifications.tasks import due_practices  # noqa: E402
from tenants.models import Practice  # noqa: E402
from tests.notifications.due_index import add_index_only_practices  # noqa: E402

PREFIX = "perftick"


def add_practices(start: int, count: int, due: int) -> None:
    add_index_only_practices(PREFIX, start, count, due)
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {PracticeDueWork._meta.db_table}")


def remove_practices() -> None:
    # Not through the ORM: its cascade would look for practice-schema tables, and there are none.
    with connection.cursor() as cursor:
        for model, column, pattern in (
            (PracticeDueWork, "schema_name", f"{PREFIX}_%"),
            (Practice, "slug", f"{PREFIX}-%"),
        ):
            delete = sql.SQL("DELETE FROM {} WHERE {} LIKE %s").format(
                sql.Identifier(model._meta.db_table), sql.Identifier(column)
            )
            cursor.execute(delete, [pattern])


def timed_ticks(due: int, rounds: int) -> tuple[list[float], int]:
    seconds, found = [], 0
    due_schemas = [f"{PREFIX}_{i}" for i in range(due)]
    for _ in range(rounds):
        PracticeDueWork.objects.filter(schema_name__in=due_schemas).update(
            next_due_at=timezone.now() - datetime.timedelta(seconds=5)
        )
        begin = time.perf_counter()
        found = len(due_practices(among=None))
        seconds.append(time.perf_counter() - begin)
    return seconds, found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--due", type=int, default=20, help="practices with work due at each tick")
    parser.add_argument("--rounds", type=int, default=21)
    args = parse_args(parser, quick={"due": 2, "rounds": 3})
    print(f"Beat tick benchmark: {machine()}")
    migrate_project()
    if (
        PracticeDueWork.objects.exclude(schema_name__startswith=PREFIX)
        .filter(next_due_at__lte=timezone.now())
        .exists()
    ):
        print("note: other practices have work due in this database; each tick hands them out too")
    remove_practices()  # an interrupted earlier run's
    try:
        add_practices(0, 200, args.due)
        small, found_small = timed_ticks(args.due, args.rounds)
        print(f"  200 practices, {found_small} due: {summary(small)}")
        add_practices(200, 1800, 0)
        large, found_large = timed_ticks(args.due, args.rounds)
        print(f"2,000 practices, {found_large} due: {summary(large)}")
    finally:
        remove_practices()


if __name__ == "__main__":
    main()
