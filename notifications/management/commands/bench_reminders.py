"""Benchmark and reliability run: reminders due across many practices, sent by real Celery workers.

    DATABASE_URL=... python manage.py bench_reminders --practices 200 --per-practice 50 --workers 2 \
        --kill-worker --restart-redis

Uses its own Redis (started here) and a loopback Twilio stand-in that counts every message it
receives, so duplicates are measured, not assumed (notifications.drill). Prints throughput and the
duplicate count. The practices (bench-0, bench-1, ...) are kept for the next run; --clean-up drops them."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from notifications.drill import (
    RedisServer,
    Workers,
    drop_practices,
    run_drill,
    seed_due_reminders,
    twilio_recorder,
    worker_environment,
)
from tenants.models import Practice
from tenants.provisioning import ensure_template_schema
from tenants.services import ensure_public_site, provision_practice


class Command(BaseCommand):
    help = "Send reminders due across many practices with real workers; report throughput and duplicates."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--practices", type=int, default=200)
        parser.add_argument("--per-practice", type=int, default=50)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--redis-port", type=int, default=4407)
        parser.add_argument("--kill-worker", action="store_true", help="SIGKILL a worker at 30%% done")
        parser.add_argument("--restart-redis", action="store_true", help="restart Redis at 60%% done")
        parser.add_argument("--clean-up", action="store_true", help="drop the bench practices and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["clean_up"]:
            practices = list(Practice.objects.filter(slug__startswith="bench-"))
            drop_practices(practices)
            self.stdout.write(f"dropped {len(practices)} bench practices")
            return
        ensure_public_site()
        ensure_template_schema()
        practices = self._practices(options["practices"])
        started = time.perf_counter()
        total = sum(seed_due_reminders(p, options["per_practice"]) for p in practices)
        self.stdout.write(
            f"set up {total} due reminders in {len(practices)} practices "
            f"({time.perf_counter() - started:.1f} s)"
        )
        redis_server = RedisServer(options["redis_port"])
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
                    worker_count=options["workers"],
                    kill_at=0.3 if options["kill_worker"] else None,
                    restart_redis_at=0.6 if options["restart_redis"] else None,
                    timeout=900,
                    say=self.stdout.write,
                )
        finally:
            redis_server.stop()
        self.stdout.write(
            f"{result.sent}/{total} sent in {result.seconds:.1f} s: {result.per_second:.0f} messages/s "
            f"with {options['workers']} workers; Twilio received {result.twilio_requests} requests, "
            f"duplicates: {result.duplicates}"
        )

    def _practices(self, count: int) -> list[Practice]:
        existing = {p.slug: p for p in Practice.objects.filter(slug__startswith="bench-")}
        practices = []
        for n in range(count):
            slug = f"bench-{n}"
            practices.append(
                existing.get(slug) or provision_practice(name=f"Bench {n}", slug=slug, plan=None)
            )
        return practices
