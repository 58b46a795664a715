"""A delivery drill: reminders due across practices, sent by real Celery worker processes through a
Redis server of the drill's own, with a worker SIGKILLed and Redis restarted mid-run.

Shared by tests/perf/bench_reminders.py (throughput at scale) and the reliability test
(tests/notifications/test_reliability.py: nothing lost, duplicates bounded). The Twilio side is a
loopback recorder that counts every message it receives, so duplicates are measured, not assumed:
it answers like Twilio itself, or relays each request to a contract mock (Prism), which checks the
request against Twilio's spec but keeps no state to count with."""

import contextlib
import datetime
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO
from urllib.parse import parse_qs

import redis
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models.signals import post_delete
from django.utils import timezone
from django_tenants.utils import tenant_context
from kombu.exceptions import OperationalError
from psycopg import sql

from notifications.models import Notification, ReminderPolicy
from notifications.routing.models import PracticeDueWork
from notifications.tasks import due_practices, hand_out
from practica.patients.models import Patient
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from tenants.models import Practice

ROOT = Path(__file__).resolve().parents[2]
State = Notification.State
FINAL_STATES = (State.SENT, State.FAILED, State.SKIPPED, State.CANCELLED, State.DELIVERED)


# --- the practices' due reminders (committed: the workers read them over their own connections) ---


def seed_due_reminders(practice: Practice, count: int) -> int:
    """Replace the practice's appointments with `count` of them two days ahead, each with one SMS
    reminder due now, and point the public due-work index at the practice.

    Written with bulk_create (no save signals, hence no audit rows), and quiet hours off so the
    drill does not depend on the time of day."""
    now = timezone.now()
    with tenant_context(practice):
        Notification.objects.all().delete()
        Appointment.objects.all().delete()
        ReminderPolicy.objects.update_or_create(
            singleton=True, defaults={"quiet_start": datetime.time(0), "quiet_end": datetime.time(0)}
        )
        location = Location.objects.first() or Location.objects.create(name="Drill clinic")
        provider = Provider.objects.first() or Provider.objects.create(
            display_name="Dr Drill", npi="1000000004"
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


def _rows_of(schemas: Sequence[str]) -> sql.Composed:
    """The notification rows of every practice, as one relation (state, attempts)."""
    select = sql.SQL("SELECT state, attempts FROM {}.notifications_notification")
    return sql.SQL(" UNION ALL ").join(select.format(sql.Identifier(schema)) for schema in schemas)


def count_in_states(schemas: Sequence[str], states: Sequence[str] = FINAL_STATES) -> int:
    """Rows in these states across the practices, in one statement (a progress poll that cost one
    query per practice would load the machine whose throughput is being measured)."""
    query = sql.SQL("SELECT count(*) FROM ({}) AS rows WHERE state = ANY(%s)").format(_rows_of(schemas))
    with connection.cursor() as cursor:
        cursor.execute(query, [list(states)])
        return int(cursor.fetchone()[0])


def states_and_attempts(schemas: Sequence[str]) -> Counter[tuple[str, int]]:
    """How many rows end in each (state, attempts) pair across the practices."""
    query = sql.SQL("SELECT state, attempts, count(*) FROM ({}) AS rows GROUP BY 1, 2").format(
        _rows_of(schemas)
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        return Counter({(state, attempts): n for state, attempts, n in cursor.fetchall()})


def drop_practices(practices: Sequence[Practice]) -> None:
    """Drop the practices' schemas and rows (domains, due-work index, routes go with them).

    The audit receiver is off meanwhile: a practice's audit trail lives in its schema, which goes
    first, so there is nowhere to record these deletions."""
    from practica.audit import signals as audit_signals
    from practica.core.tenancy import use_public_schema

    use_public_schema()
    post_delete.disconnect(dispatch_uid="audit_post_delete")
    try:
        for practice in practices:
            practice.delete(force_drop=True)
    finally:
        audit_signals.connect()


def database_url() -> str:
    """The URL of the database this process uses, for the worker processes."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# --- Redis of the drill's own ---


class RedisServer:
    """A redis-server on loopback without persistence: a restart loses every queued task, the worst
    case for the broker, which the due-work index must make up for."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        # redis-server cannot start with libfaketime preloaded (bin/test's moved clock for the tests):
        # it keeps the real time, as the suite's own Redis does; its expiries are relative anyway.
        env = {name: value for name, value in os.environ.items() if name != "LD_PRELOAD"}
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            command, stdout=subprocess.DEVNULL, env=env
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server could not start on port {self.port}") from None
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def stop(self) -> None:
        """SHUTDOWN NOSAVE, as an operator's restart would; killed if it does not go."""
        if self.process is None:
            return
        with contextlib.suppress(redis.RedisError):  # the server closes the connection as it goes
            redis.Redis(port=self.port, socket_timeout=2).shutdown(nosave=True)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


# --- Twilio's side ---


@dataclass
class TwilioRecorder:
    """Every message the workers sent, keyed by (To, Body): a key seen twice is a duplicate."""

    url: str = ""
    messages: Counter[tuple[str, str]] = field(default_factory=Counter)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def duplicates(self) -> int:
        with self.lock:
            return sum(n - 1 for n in self.messages.values() if n > 1)


@contextmanager
def twilio_recorder(upstream: str | None = None) -> Iterator[TwilioRecorder]:
    """A loopback HTTP server counting Twilio API requests. Without `upstream` it answers 201 with
    a fresh message SID, as Twilio does; with one (Prism) it relays each request and its answer.
    HTTP/1.1 with keep-alive, like Twilio's API, so a worker's pooled connection is reused."""
    recorder = TwilioRecorder()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as separate writes: with Nagle's algorithm on, the body would wait
        # for the client's delayed ACK (40 ms) on a kept-alive connection.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            if len(body) < length:
                # The sender died mid-request (a SIGKILLed worker): Twilio would get no message.
                self.close_connection = True
                return
            if self.path.endswith("/Messages.json"):
                form = parse_qs(body.decode())
                key = (form.get("To", [""])[0], form.get("Body", [""])[0])
                with recorder.lock:
                    recorder.messages[key] += 1
                    recorder.requests += 1
            if upstream:
                status, payload = self._relay(body)
            else:
                status = 201
                payload = json.dumps({"sid": "SM" + uuid.uuid4().hex, "status": "queued"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _relay(self, body: bytes) -> tuple[int, bytes]:
            assert upstream is not None
            relayed = ("authorization", "content-type")
            headers = {k: v for k, v in self.headers.items() if k.lower() in relayed}
            request = urllib.request.Request(  # noqa: S310 (the mock's http URL, given by the caller)
                upstream + self.path, data=body, headers=headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (loopback mock)
                    return answer.status, answer.read()
            except urllib.error.HTTPError as error:
                return error.code, error.read()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


# --- worker processes ---


def worker_environment(
    *, redis_url: str, twilio_url: str, lease_seconds: int, stale_claim_seconds: int, **extra: str
) -> dict[str, str]:
    """Production settings, this drill's Redis and Twilio, short lease and stale-claim times so a
    dead worker's practice and rows are taken again within the run."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "practica.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "TWILIO_API_BASE": twilio_url,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "drill",
        "TWILIO_MESSAGING_SERVICE_SID": "MG" + "0" * 32,
        "NOTIFICATIONS_LEASE_SECONDS": str(lease_seconds),
        "NOTIFICATIONS_STALE_CLAIM_SECONDS": str(stale_claim_seconds),
        "LOG_LEVEL": "WARNING",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "drill"),
        **extra,
    }


class Workers:
    """Celery worker processes (one task at a time each), as `celery -A practica worker` runs them."""

    def __init__(self, env: dict[str, str], log: IO[bytes] | None = None) -> None:
        self.env = env
        self.log = log
        self.processes: list[subprocess.Popen[bytes]] = []
        self.started = 0

    def start(self) -> None:
        self.started += 1
        command = [sys.executable, "-m", "celery", "-A", "practica", "worker", "-c", "1"]
        command += ["-n", f"drill{self.started}@%h", "--without-gossip", "--without-mingle"]
        command += ["--without-heartbeat", "-l", "WARNING"]
        # A session of its own, so a kill reaches the pool child that runs the task as well.
        self.processes.append(
            subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
                command, env=self.env, cwd=ROOT, stdout=self.log, stderr=self.log, start_new_session=True
            )
        )

    def kill_one(self) -> None:
        """SIGKILL the oldest worker and its pool child: nothing is cleaned up or acknowledged, as
        when a machine loses power or the kernel's OOM killer steps in."""
        process = self.processes.pop(0)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes = []


# --- the run ---


@dataclass
class DrillResult:
    total: int
    finished: int  # rows in a final state
    sent: int
    seconds: float
    kills: int
    redis_restarts: int
    twilio_requests: int
    duplicates: int
    events: list[str]

    @property
    def per_second(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def hand_out_due(schemas: Sequence[str], broker_url: str, lease_seconds: int) -> None:
    """What the beat tick does, limited to the drill's practices (the database may hold others with
    work due): lease those due and queue one task each on the drill's Redis. The lease is the
    drill's short one: a task lost with Redis is handed out again within the run."""
    from practica.celery import app

    lease = datetime.timedelta(seconds=lease_seconds)
    with app.connection_for_write(broker_url) as broker:
        hand_out(due_practices(among=schemas, lease=lease), connection=broker)


def run_drill(
    schemas: Sequence[str],
    *,
    total: int,
    redis_server: RedisServer,
    twilio: TwilioRecorder,
    workers: Workers,
    worker_count: int,
    kill_at: float | None,
    restart_redis_at: float | None,
    timeout: float,
    poll_seconds: float = 0.5,
    say: Callable[[str], None] = lambda line: None,
) -> DrillResult:
    """Start the workers, tick until every row is final (or `timeout` seconds pass), SIGKILL one worker
    and start a new one once `kill_at` of the rows are final, and restart Redis at `restart_redis_at`.

    The progress figures are read from the database (the source of truth), never from the broker."""
    from practica.celery import app

    events: list[str] = []

    def note(event: str) -> None:
        events.append(event)
        say(event)

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False  # tests run tasks inline; the drill's go to the workers
    kills = restarts = 0
    begin = time.perf_counter()
    try:
        for _ in range(worker_count):
            workers.start()
        while True:
            try:
                hand_out_due(schemas, redis_server.url, int(workers.env["NOTIFICATIONS_LEASE_SECONDS"]))
            except OperationalError:
                note("a tick could not reach Redis; the next one hands the practices out again")
            done = count_in_states(schemas)
            if kill_at is not None and not kills and done >= total * kill_at:
                workers.kill_one()
                workers.start()
                kills += 1
                note(f"SIGKILLed a worker at {done}/{total} done; started another")
            if restart_redis_at is not None and not restarts and done >= total * restart_redis_at:
                redis_server.restart()
                restarts += 1
                note(f"restarted Redis at {done}/{total} done")
            if done >= total:
                break
            if time.perf_counter() - begin > timeout:
                note(f"gave up after {timeout:.0f} s with {done}/{total} done")
                break
            time.sleep(poll_seconds)
    finally:
        seconds = time.perf_counter() - begin
        app.conf.task_always_eager = eager
        workers.stop()
    return DrillResult(
        total=total,
        finished=count_in_states(schemas),
        sent=count_in_states(schemas, (State.SENT,)),
        seconds=seconds,
        kills=kills,
        redis_restarts=restarts,
        twilio_requests=twilio.requests,
        duplicates=twilio.duplicates,
        events=events,
    )
