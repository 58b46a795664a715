"""Benchmark: live secure messages over WebSockets, many sockets over many practices.

Run (after `bin/test` or `bin/run` has set up .venv, the database and Redis; REDIS_URL must be set):

    REDIS_URL=redis://127.0.0.1:<port>/0 .venv/bin/python tests/perf/bench_messaging.py \\
        [--practices 10] [--clients 1000] [--rate 200] [--seconds 20] [--processes N] [--port 8788] [--quick]

Method: the benchmark practices get one patient (with a portal session) per client and one thread
each; daphne serves the production ASGI application on loopback, one process per core as deployed
(infra/systemd/practica-web@.service; --processes to change it), and sockets are spread over the
processes in turn, as nginx's upstream does. Every client opens its thread socket as its patient,
and each practice's care-team inbox socket is open too. Clients then send messages over their
sockets at a fixed total rate ("send" requests, spread evenly); the server stores each message
(encrypted, in the practice's schema), commits, and pushes it through the Redis channel layer to
the thread's sockets and the practice's inbox. Latency is measured from the moment a client sends
to the moment the same client receives the push of its own message (the full path: consumer,
database, commit, channel layer, delivery). Delivered messages per second are counted over the run.
Everything the benchmark creates is removed at the end.
"""

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.perf.django_env import (
    BENCH_SLUG_PREFIX,
    ROOT,
    machine,
    parse_args,
    prepare_database,
    remove_bench_practices,
    setup_django,
)

os.environ.setdefault("MESSAGING_PATIENT_RATE", "1000")
setup_django()

import websockets  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from portal.models import PortalAccount  # noqa: E402
from portal.sessions import ACCOUNT_KEY, PASSWORD_KEY, SCHEMA_KEY, SEEN_KEY, password_stamp  # noqa: E402
from practica.accounts.models import Membership, User  # noqa: E402
from practica.accounts.roles import Role  # noqa: E402
from practica.accounts.sessions import SESSION_PRACTICE_KEY  # noqa: E402
from practica.messaging import services  # noqa: E402
from practica.patients.models import Patient  # noqa: E402
from tenants.models import Plan  # noqa: E402
from tenants.services import provision_practice  # noqa: E402

EMAIL_DOMAIN = "perfbench-msg.example"
FIRST_PORT = 8788


def prepare(practices: int, clients: int) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """Inbox sockets (host, staff cookie) and client sockets (host, patient cookie, thread path)."""
    plan = Plan.objects.filter(code="group").first()
    password = make_password(None)
    inboxes, sockets = [], []
    for number in range(practices):
        slug = f"{BENCH_SLUG_PREFIX}msg{number}"
        practice = provision_practice(name=f"Bench messaging {number}", slug=slug, plan=plan)
        host = f"{slug}.localhost"
        user = User.objects.create_user(f"staff{number}@{EMAIL_DOMAIN}", "bench-password-123")
        Membership.objects.create(user=user, practice=practice, role=Role.FRONT_DESK)
        staff_session = SessionStore()
        staff_session.update(
            {
                "_auth_user_id": str(user.pk),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": user.get_session_auth_hash(),
                SESSION_PRACTICE_KEY: practice.schema_name,
            }
        )
        staff_session.create()
        inboxes.append((host, str(staff_session.session_key)))
        with tenant_context(practice):
            for index in range(clients // practices):
                patient = Patient.objects.create(
                    first_name=f"P{index}",
                    last_name="Bench",
                    date_of_birth="1980-01-01",
                    email=f"p{index}@x.test",
                )
                account = PortalAccount.objects.create(
                    patient=patient, email=patient.email, password=password, email_verified_at=timezone.now()
                )
                thread = services.start_thread(patient, "hello")
                session = SessionStore()
                session.update(
                    {
                        ACCOUNT_KEY: str(account.pk),
                        SCHEMA_KEY: practice.schema_name,
                        SEEN_KEY: int(time.time()),
                        PASSWORD_KEY: password_stamp(account),
                    }
                )
                session.create()
                sockets.append((host, str(session.session_key), f"/ws/messaging/{thread.pk}/"))
    return inboxes, sockets


async def connect(host: str, cookie: str, path: str, port: int) -> Any:
    return await websockets.connect(
        f"ws://{host}:{port}{path}",
        host="127.0.0.1",  # the socket goes to loopback; the Host header names the practice
        port=port,
        additional_headers={
            "Origin": f"http://{host}",
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}",
        },
        open_timeout=60,
        max_queue=None,
    )


async def run(
    inboxes: list[tuple[str, str]],
    sockets: list[tuple[str, str, str]],
    rate: float,
    seconds: float,
    ports: list[int],
) -> None:
    latencies: list[float] = []
    inbox_received = 0
    inbox_counts: dict[int, int] = {}
    inbox_closed: list[str] = []
    errors = 0
    sent_at: dict[str, float] = {}

    async def client_reader(ws: Any) -> None:
        nonlocal errors
        async for raw in ws:
            event = json.loads(raw)
            if event.get("type") == "message":
                started = sent_at.pop(event["message"]["body"], None)
                if started is not None:
                    latencies.append(time.perf_counter() - started)
            elif event.get("type") == "error":
                errors += 1

    async def inbox_reader(number: int, ws: Any) -> None:
        nonlocal inbox_received
        try:
            async for raw in ws:
                if json.loads(raw).get("type") == "message":
                    inbox_received += 1
                    inbox_counts[number] = inbox_counts.get(number, 0) + 1
        except websockets.ConnectionClosed as closed:
            inbox_closed.append(f"inbox {number}: {closed}")

    started = time.perf_counter()
    inbox_sockets = [
        await connect(host, cookie, "/ws/messaging/", ports[n % len(ports)])
        for n, (host, cookie) in enumerate(inboxes)
    ]
    client_sockets = []
    for batch_start in range(0, len(sockets), 50):
        batch = sockets[batch_start : batch_start + 50]
        client_sockets += await asyncio.gather(
            *(connect(*entry, ports[(batch_start + n) % len(ports)]) for n, entry in enumerate(batch))
        )
    print(
        f"{len(client_sockets)} client sockets and {len(inbox_sockets)} inbox sockets open "
        f"in {time.perf_counter() - started:.1f} s"
    )
    readers = [asyncio.create_task(client_reader(ws)) for ws in client_sockets]
    readers += [asyncio.create_task(inbox_reader(n, ws)) for n, ws in enumerate(inbox_sockets)]

    total = int(rate * seconds)
    interval = 1 / rate
    begin = time.perf_counter()
    for number in range(total):
        target = begin + number * interval
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        ws = client_sockets[number % len(client_sockets)]
        body = f"bench message {number}"
        sent_at[body] = time.perf_counter()
        await ws.send(json.dumps({"type": "send", "body": body}))
    sending = time.perf_counter() - begin
    deadline = time.perf_counter() + 15
    while sent_at and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - begin
    for task in readers:
        task.cancel()
    for ws in client_sockets + inbox_sockets:
        await ws.close()

    print(f"sent {total} messages in {sending:.1f} s (target {rate:.0f}/s, achieved {total / sending:.0f}/s)")
    print(
        f"delivered back to senders: {len(latencies)} ({len(sent_at)} missing, {errors} errors); "
        f"inbox pushes received: {inbox_received}"
    )
    print(f"per inbox: {[inbox_counts.get(n, 0) for n in range(len(inbox_sockets))]} {inbox_closed}")
    if latencies:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(
            f"latency send -> push: p50 {statistics.median(ordered) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"
        )
        print(f"delivered {len(latencies) / elapsed:.0f} messages/s to their threads over {elapsed:.1f} s")


def wait_for_servers(ports: list[int], servers: list[subprocess.Popen[bytes]], limit: float = 60.0) -> None:
    """Until every daphne accepts connections (a few seconds: each loads Django first)."""
    deadline = time.monotonic() + limit
    for port in ports:
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if any(server.poll() is not None for server in servers):
                sys.exit("A daphne process ended at start (BENCH_SERVER_LOG=<file> keeps its output).")
            if time.monotonic() > deadline:
                sys.exit(f"No daphne listening on port {port} after {limit:.0f} s.")
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--practices", type=int, default=10)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="daphne processes")
    parser.add_argument("--port", type=int, default=FIRST_PORT, help="the first daphne's port (then +1, ...)")
    quick = {"practices": 1, "clients": 4, "rate": 20.0, "seconds": 1.0, "processes": 1}
    args = parse_args(parser, quick=quick)
    if not settings.REDIS_URL:
        sys.exit("REDIS_URL must point at a Redis: the benchmark measures the Redis channel layer.")
    print(f"Messaging benchmark: {machine()}")
    prepare_database(EMAIL_DOMAIN)
    servers: list[subprocess.Popen[bytes]] = []
    ports = [args.port + n for n in range(args.processes)]
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                # Sockets would reach whatever holds it (an old server, old code): no figures then.
                sys.exit(f"Port {port} is taken: stop what listens there (an earlier run's daphne?).")
    try:
        started = time.perf_counter()
        inboxes, sockets = prepare(args.practices, args.clients)
        took = time.perf_counter() - started
        print(f"prepared {args.practices} practices and {len(sockets)} patients in {took:.0f} s")
        env = dict(os.environ, ALLOWED_HOSTS=".localhost", SECURE_COOKIES="false", LOG_LEVEL="ERROR")
        for port in ports:
            servers.append(
                subprocess.Popen(  # noqa: S603  (our own daphne, fixed arguments)
                    [
                        str(ROOT / ".venv/bin/daphne"),
                        "-b",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "practica.asgi:application",
                    ],
                    env=dict(env, PYTHONPATH=f"{ROOT / 'platform'}:{ROOT}"),
                    stdout=subprocess.DEVNULL,
                    stderr=open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "a"),  # noqa: SIM115
                )
            )
        print(f"{len(servers)} daphne process(es) on ports {ports[0]}-{ports[-1]}")
        wait_for_servers(ports, servers)
        asyncio.run(run(inboxes, sockets, args.rate, args.seconds, ports))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait()
        remove_bench_practices(EMAIL_DOMAIN)


if __name__ == "__main__":
    main()
