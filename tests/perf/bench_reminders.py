"""Benchmark and reliability run: reminders due across many practices, sent by real Celery workers.

Run (after `bin/test` or `bin/run` has set up .venv and the database):

    .venv/bin/python tests/perf/bench_reminders.py --practices 200 --per-practice 50 --workers 2 \
        --kill-worker --restart-redis [--quick]

Method: each practice (bench-0, bench-1, ...) gets `--per-practice` appointments with one SMS
reminder due now; `--workers` Celery worker processes send them through a redis-server of the
run's own (on a free port unless `--redis-port` is given) to a loopback Twilio stand-in that
counts every message it receives, so duplicates are measured, not assumed (tests/perf/drill.py).
`--kill-worker` SIGKILLs a worker at 30% done, `--restart-redis` restarts Redis at 60%. Prints
throughput and the duplicate count. The practices are kept for the next run (provisioning 200
takes a while); `--clean-up` drops them.
"""

import argparse
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.perf.django_env import machine, migrate_project, parse_args, setup_django

setup_django()

from tenants.models import Practice  # noqa: E402
from tenants.provisioning import ensure_template_schema  # noqa: E402
from tenants.services import ensure_public_site, provision_practice  # noqa: E402
from tests.perf.drill import (  # noqa: E402
    RedisServer,
    Workers,
    drop_practices,
    run_drill,
    seed_due_reminders,
    twilio_recorder,
    worker_environment,
)

PREFIX = "bench-"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench_practices(count: int) -> list[Practice]:
    existing = {p.slug: p for p in Practice.objects.filter(slug__startswith=PREFIX)}
    practices = []
    for n in range(count):
        slug = f"{PREFIX}{n}"
        practices.append(existing.get(slug) or provision_practice(name=f"Bench {n}", slug=slug, plan=None))
    return practices


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--practices", type=int, default=200)
    parser.add_argument("--per-practice", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--redis-port", type=int, default=0, help="the run's own Redis (default: a free port)"
    )
    parser.add_argument("--kill-worker", action="store_true", help="SIGKILL a worker at 30%% done")
    parser.add_argument("--restart-redis", action="store_true", help="restart Redis at 60%% done")
    parser.add_argument("--clean-up", action="store_true", help="drop the bench practices and stop")
    args = parse_args(parser, quick={"practices": 2, "per_practice": 10, "workers": 1})

    migrate_project()
    if args.clean_up:
        practices = list(Practice.objects.filter(slug__startswith=PREFIX))
        drop_practices(practices)
        print(f"dropped {len(practices)} bench practices")
        return
    ensure_public_site()
    ensure_template_schema()
    print(machine())
    practices = bench_practices(args.practices)
    started = time.perf_counter()
    total = sum(seed_due_reminders(p, args.per_practice) for p in practices)
    print(
        f"set up {total} due reminders in {len(practices)} practices ({time.perf_counter() - started:.1f} s)"
    )
    redis_server = RedisServer(args.redis_port or free_port())
    redis_server.start()
    try:
        with twilio_recorder() as twilio:
            env = worker_environment(
                redis_url=redis_server.url, twilio_url=twilio.url, lease_seconds=5, stale_claim_seconds=10
            )
            result = run_drill(
                [p.schema_name for p in practices],
                total=total,
                redis_server=redis_server,
                twilio=twilio,
                workers=Workers(env),
                worker_count=args.workers,
                kill_at=0.3 if args.kill_worker else None,
                restart_redis_at=0.6 if args.restart_redis else None,
                timeout=900,
                say=print,
            )
    finally:
        redis_server.stop()
    print(
        f"{result.sent}/{total} sent in {result.seconds:.1f} s: {result.per_second:.0f} messages/s "
        f"with {args.workers} workers; Twilio received {result.twilio_requests} requests, "
        f"duplicates: {result.duplicates}"
    )
    if result.sent < total:
        sys.exit(f"only {result.sent} of {total} reminders were sent")


if __name__ == "__main__":
    main()
