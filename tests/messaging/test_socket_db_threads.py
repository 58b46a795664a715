"""The pool of database threads that socket work runs on (practica.messaging.consumers.in_practice).

Production runs every socket's database call on a few shared threads, each with its own
connection. Calls of practices A and B are interleaved here: on two threads at the same moment,
and taking turns on one thread. Every call must run, at the database, in its own practice's
schema, write there only, and leave its thread in the public schema. The pool's connections are
separate from the test's transaction, so every write is rolled back inside its call and the
connections are closed at the end."""

import asyncio
import functools
import threading
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, connections, transaction

from practica.messaging import consumers
from tenants.models import Practice
from tests.factories import PatientFactory

CALLS = 24


def _database_schema() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        return str(cursor.fetchone()[0])


def _pool(monkeypatch: pytest.MonkeyPatch, threads: int) -> Any:
    monkeypatch.setattr("django.conf.settings.SOCKET_DB_THREADS", threads)
    monkeypatch.setattr(consumers, "_db_threads", None)
    pool = consumers._socket_db_threads()
    assert pool is not None
    return pool


def _close_connections(pool: Any, threads: int) -> None:
    """One clean-up per thread: each waits at the barrier, so every thread takes one."""
    everyone = threading.Barrier(threads, timeout=10)

    def close() -> None:
        everyone.wait()
        connections.close_all()

    for future in [pool.submit(close) for _ in range(threads)]:
        future.result()
    pool.shutdown()


def _interleave(practices: list[Practice], threads: int, pool: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    """CALLS calls alternating between the practices, `threads` at a time (they meet at a barrier
    twice: once before writing, once after both have written); then what each thread is left with."""
    meet = threading.Barrier(threads, timeout=10)
    seen: list[dict[str, Any]] = []

    def work(practice: Practice, number: int) -> None:
        meet.wait()
        name = f"Interleaved {number}"
        with transaction.atomic():
            PatientFactory.create(last_name=name)
            meet.wait()  # the other call has written its row meanwhile
            counts = {}
            with connection.cursor() as cursor:
                for other in practices:
                    table = f'"{other.schema_name}".patients_patient'
                    cursor.execute(f"SELECT count(*) FROM {table} WHERE last_name = %s", [name])  # noqa: S608
                    counts[other.schema_name] = cursor.fetchone()[0]
            seen.append(
                {
                    "thread": threading.current_thread().name,
                    "expected": practice.schema_name,
                    "django": connection.schema_name,  # type: ignore[attr-defined]
                    "database": _database_schema(),
                    "rows_by_schema": counts,
                }
            )
            transaction.set_rollback(True)

    def left_on_the_thread() -> tuple[str, str]:
        return connection.schema_name, _database_schema()  # type: ignore[attr-defined]

    async def scenario() -> list[Any]:
        calls = []
        for number in range(CALLS):
            practice = practices[number % 2]
            calls.append(consumers.in_practice(practice, functools.partial(work, practice, number)))
        await asyncio.gather(*calls)
        loop = asyncio.get_running_loop()
        return list(await asyncio.gather(*(loop.run_in_executor(pool, left_on_the_thread) for _ in range(4))))

    after = async_to_sync(scenario)()
    _close_connections(pool, threads)
    return seen, after


def _assert_isolated(seen: list[dict[str, Any]], after: list[Any], practices: list[Practice]) -> None:
    assert len(seen) == CALLS
    for call in seen:
        assert call["database"] == call["django"] == call["expected"]
        # Its row is in its own schema's table, and none in the other practice's.
        assert call["rows_by_schema"] == {
            p.schema_name: int(p.schema_name == call["expected"]) for p in practices
        }
    assert after == [("public", "public")] * 4


def test_two_practices_calls_at_the_same_time_on_two_threads_stay_in_their_schemas(
    practice_a: Practice, practice_b: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    practices = [practice_a, practice_b]
    seen, after = _interleave(practices, 2, _pool(monkeypatch, 2))
    _assert_isolated(seen, after, practices)
    assert len({call["thread"] for call in seen}) == 2


def test_two_practices_calls_taking_turns_on_one_thread_stay_in_their_schemas(
    practice_a: Practice, practice_b: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    practices = [practice_a, practice_b]
    seen, after = _interleave(practices, 1, _pool(monkeypatch, 1))
    _assert_isolated(seen, after, practices)
    assert len({call["thread"] for call in seen}) == 1
    assert [call["expected"] for call in seen] == [practices[n % 2].schema_name for n in range(CALLS)]
