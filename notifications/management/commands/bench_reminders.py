"""Benchmark and reliability run: reminders due across many practices, sent by real Celery workers.

    DATABASE_URL=... python manage.py bench_reminders --practices 200 --per-practice 50 --workers 2 \
        --kill-worker --restart-redis

Uses its own Redis (started here) and a loopback Twilio stand-in that counts every message it
receives, so duplicates are measured, not assumed. Prints throughput and the duplicate count."""

import datetime
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django_tenants.utils import tenant_context

from notifications.models import Notification, ReminderPolicy
from notifications.routing.models import PracticeDueWork
from notifications.tasks import tick
from patients.models import Patient
from scheduling.models import Appointment, AppointmentType, Location, Provider
from tenants.models import Practice
from tenants.provisioning import ensure_template_schema
from tenants.services import ensure_public_site, provision_practice

FINAL = ("sent", "failed", "skipped", "cancelled", "delivered")


class Command(BaseCommand):
    help = "Send reminders due across many practices with real workers; report throughput and duplicates."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--practices", type=int, default=200)
        parser.add_argument("--per-practice", type=int, default=50)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--redis-port", type=int, default=4407)
        parser.add_argument("--kill-worker", action="store_true")
        parser.add_argument("--restart-redis", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        from tests.notifications.fake_twilio import fake_twilio

        ensure_public_site()
        ensure_template_schema()
        practices = self._practices(options["practices"])
        started = time.perf_counter()
        total = sum(self._due_reminders(p, options["per_practice"]) for p in practices)
        setup_seconds = time.perf_counter() - started
        self.stdout.write(
            f"set up {total} due reminders in {len(practices)} practices ({setup_seconds:.1f} s)"
        )
        redis = self._start_redis(options["redis_port"])
        with fake_twilio() as twilio:
            env = {
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "practica.settings",
                "REDIS_URL": f"redis://127.0.0.1:{options['redis_port']}/0",
                "CELERY_TASK_ALWAYS_EAGER": "false",
                "TWILIO_API_BASE": twilio.url,
                "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
                "TWILIO_AUTH_TOKEN": "bench",
                "TWILIO_MESSAGING_SERVICE_SID": "MG" + "0" * 32,
                "NOTIFICATIONS_LEASE_SECONDS": "5",
                "NOTIFICATIONS_STALE_CLAIM_SECONDS": "10",
                "LOG_LEVEL": "WARNING",
                "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
            }
            from practica.celery import app

            app.conf.broker_url = env["REDIS_URL"]
            app.conf.task_always_eager = False
            workers = [self._start_worker(env, n) for n in range(options["workers"])]
            killed = restarted = False
            begin = time.perf_counter()
            try:
                while True:
                    with connection.cursor():
                        tick.apply()  # what beat does, in this process: lease due practices, enqueue tasks
                    done = self._done(practices)
                    if options["kill_worker"] and not killed and done > total * 0.3:
                        os.kill(workers[0].pid, signal.SIGKILL)
                        workers[0].wait()
                        workers[0] = self._start_worker(env, 0)
                        killed = True
                        self.stdout.write(f"SIGKILLed a worker at {done} done; restarted it")
                    if options["restart_redis"] and not restarted and done > total * 0.6:
                        redis.terminate()
                        redis.wait()
                        redis = self._start_redis(options["redis_port"])
                        restarted = True
                        self.stdout.write(f"restarted Redis at {done} done")
                    if done >= total:
                        break
                    if time.perf_counter() - begin > 900:
                        self.stdout.write("gave up after 15 minutes")
                        break
                    time.sleep(0.5)
            finally:
                elapsed = time.perf_counter() - begin
                for worker in workers:
                    worker.terminate()
                for worker in workers:
                    try:
                        worker.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        worker.kill()
                        worker.wait()
                redis.terminate()
            sends = Counter((r.get("To", [""])[0], r.get("Body", [""])[0]) for r in twilio.requests)
        sent = self._done(practices, states=("sent",))
        duplicates = sum(n - 1 for n in sends.values() if n > 1)
        self.stdout.write(
            f"{sent}/{total} sent in {elapsed:.1f} s: {sent / elapsed:.0f} messages/s "
            f"with {options['workers']} workers; Twilio received {len(twilio.requests)} requests, "
            f"duplicates: {duplicates}"
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

    def _due_reminders(self, practice: Practice, count: int) -> int:
        now = timezone.now()
        with tenant_context(practice):
            Notification.objects.all().delete()
            Appointment.objects.all().delete()
            ReminderPolicy.objects.update_or_create(
                singleton=True, defaults={"quiet_start": datetime.time(0), "quiet_end": datetime.time(0)}
            )
            location = Location.objects.first() or Location.objects.create(name="Bench clinic")
            provider = Provider.objects.first() or Provider.objects.create(
                display_name="Dr Bench", npi="1000000004"
            )
            visit = AppointmentType.objects.first() or AppointmentType.objects.create(
                name="Visit", duration_minutes=15
            )
            patients = list(Patient.objects.all()[:count])
            patients += Patient.objects.bulk_create(
                Patient(
                    first_name="P",
                    last_name=str(n),
                    date_of_birth=datetime.date(1980, 1, 1),
                    phone=f"+1555{n:07d}",
                )
                for n in range(len(patients), count)
            )
            appointments = []
            for n, patient in enumerate(patients):
                start = now + datetime.timedelta(days=2, minutes=15 * n)
                end = start + datetime.timedelta(minutes=15)
                appointments.append(
                    Appointment(
                        patient=patient,
                        provider=provider,
                        location=location,
                        appointment_type=visit,
                        start=start,
                        end=end,
                        occupancy=DateTimeTZRange(start, end, "[)"),
                    )
                )
            Appointment.objects.bulk_create(appointments)
            Notification.objects.bulk_create(
                Notification(appointment=a, kind="reminder", channel="sms", due_at=now) for a in appointments
            )
        PracticeDueWork.objects.update_or_create(
            practice=practice, defaults={"schema_name": practice.schema_name, "next_due_at": now}
        )
        return len(appointments)

    def _done(self, practices: list[Practice], states: tuple[str, ...] = FINAL) -> int:
        total = 0
        for practice in practices:
            with tenant_context(practice):
                total += Notification.objects.filter(state__in=states).count()
        return total

    def _start_redis(self, port: int) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],  # noqa: S607
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.3)
        return process

    def _start_worker(self, env: dict[str, str], n: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "practica",
                "worker",
                "-c",
                "1",
                "-n",
                f"bench{n}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "WARNING",
            ],
            env=env,
        )
