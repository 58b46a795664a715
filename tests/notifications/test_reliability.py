"""Reliability of reminder delivery with real worker processes, a worker crash and a broker restart.

Practices of the test's own (cloned like any signup, committed so the worker processes see them,
dropped afterwards) hold a few hundred due reminders. Two Celery workers send them through a
redis-server started here on a free port (the suite's shared Redis is left alone). Once part of
the rows are done, one worker is SIGKILLed with its pool child and a new one started; later Redis
is shut down and started again on the same port, losing every queued task. The PostgreSQL rows
and the public due-work index must make up for both: every reminder ends sent, and no message
reaches Twilio twice except one in flight in a killed worker (accepted by Twilio, not yet
recorded), so duplicates <= kills.

SMS go to the Prism contract mock, which checks every request against Twilio's spec but keeps no
state; the loopback recorder of tests/perf/drill.py sits in front of it to count what each
message received. (Attempts recorded on the rows would overcount: every row of a killed worker's
claimed batch is attempted again, though only the one in flight had reached Twilio.)"""

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notifications.models import Notification
from notifications.routing.models import PracticeDueWork
from tenants.models import Practice
from tenants.services import provision_practice
from tests.perf.drill import (
    RedisServer,
    Workers,
    database_url,
    drop_practices,
    run_drill,
    seed_due_reminders,
    states_and_attempts,
    twilio_recorder,
    worker_environment,
)

pytestmark = pytest.mark.slow

PRACTICES = 3
REMINDERS_PER_PRACTICE = 100


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def drill_practices(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[Practice]]:
    practices: list[Practice] = []
    with django_db_blocker.unblock():
        try:
            for n in range(PRACTICES):
                practices.append(provision_practice(name=f"Drill {n}", slug=f"drill-{n}", plan=None))
        except BaseException:
            drop_practices(practices)
            raise
    yield practices
    with django_db_blocker.unblock():
        drop_practices(practices)


def test_no_reminder_is_lost_and_only_a_killed_workers_message_is_sent_twice(
    drill_practices: list[Practice], twilio_mock: str, django_db_blocker: Any, tmp_path: Path
) -> None:
    schemas = [p.schema_name for p in drill_practices]
    worker_log = tmp_path / "workers.log"
    with django_db_blocker.unblock():
        total = sum(seed_due_reminders(p, REMINDERS_PER_PRACTICE) for p in drill_practices)
        redis_server = RedisServer(free_port())
        redis_server.start()
        try:
            with twilio_recorder(upstream=twilio_mock) as twilio, worker_log.open("wb") as log:
                env = worker_environment(
                    redis_url=redis_server.url,
                    twilio_url=twilio.url,
                    # Short, so the killed worker's claims are taken over within the run; still well
                    # above the time a live worker takes to send a claimed batch, whose rows would
                    # otherwise be taken over (and sent twice) while it is still sending them.
                    lease_seconds=2,
                    stale_claim_seconds=8,
                    DATABASE_URL=database_url(),
                    DB_CONN_MAX_AGE="0",
                )
                result = run_drill(
                    schemas,
                    total=total,
                    redis_server=redis_server,
                    twilio=twilio,
                    workers=Workers(env, log=log),
                    worker_count=2,
                    kill_at=0.3,
                    restart_redis_at=0.6,
                    timeout=45,
                    poll_seconds=0.25,
                )
        finally:
            redis_server.stop()
        outcome = states_and_attempts(schemas)
        due_work = list(
            PracticeDueWork.objects.filter(schema_name__in=schemas).values_list("schema_name", "next_due_at")
        )
    print(
        f"\n{result.sent}/{total} sent in {result.seconds:.1f} s; {result.twilio_requests} Twilio requests, "
        f"duplicates: {result.duplicates} (kills: {result.kills}); rows by (state, attempts): "
        f"{dict(outcome)}; " + "; ".join(result.events)
    )
    diagnosis = f"{dict(outcome)} {result.events} {due_work}\n{worker_log.read_text()[-3000:]}"
    assert (result.kills, result.redis_restarts) == (1, 1), diagnosis
    assert result.sent == total, diagnosis  # none lost: every row ends sent
    assert sum(outcome.values()) == total
    assert result.duplicates <= result.kills, diagnosis
    # Every reminder reached Twilio; beyond one request each, only the duplicates counted above.
    assert result.twilio_requests == total + result.duplicates
    assert all(state == Notification.State.SENT for state, _ in outcome)
