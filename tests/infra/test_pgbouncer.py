"""Through a real PgBouncer in the pool mode infra/README.md recommends (session pooling), no
request, task or socket ever runs in another practice's schema: 20 concurrent units of work
alternating between two practices share a pool of 2 server connections, and each reads back only
its own practice's row, on every statement and inside transactions.

Why not transaction pooling: django-tenants sets `search_path` with a session-level `SET`, once per
connection and practice (TENANT_LIMIT_SET_CALLS). Under transaction pooling the next transaction
may run on a server connection another client left in another practice's schema; the last test
shows it happening, which is why the docs require session pooling.

PgBouncer is Debian's package (bin/lib.sh's setup_pgbouncer installs it); when root it runs as the
postgres user, since it refuses to run as root."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection, connections, transaction

from tenants.models import Practice

ROOT = Path(__file__).resolve().parents[2]
POOL_SIZE = 2
WORKERS = 20


def _pgbouncer() -> str | None:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if found is None and shutil.which("apt-get"):
        subprocess.run(["bash", "-c", "source bin/lib.sh && setup_pgbouncer"], cwd=ROOT, check=False)  # noqa: S607 - fixed arguments
        found = shutil.which("pgbouncer") or (
            "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
        )
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(
    binary: str, folder: Path, mode: str, pool_size: int, database: dict[str, Any]
) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users.txt").write_text(f'"{database["USER"]}" ""\n')
    server = (
        f"host={database['HOST'] or '127.0.0.1'} port={database['PORT'] or 5432} dbname={database['NAME']}"
    )
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
{database["NAME"]} = {server}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/users.txt
pool_mode = {mode}
default_pool_size = {pool_size}
max_client_conn = 100
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
"""
    )
    user = None
    if os.geteuid() == 0:
        user = "postgres"
        shutil.chown(folder, user)
        for child in folder.iterdir():
            shutil.chown(child, user)
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [binary, str(folder / "pgbouncer.ini")],
        cwd="/",
        user=user,
        group=user,
        extra_groups=[] if user else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError as refused:
            if process.poll() is not None:
                raise RuntimeError(
                    f"PgBouncer did not start: {process.stderr.read() if process.stderr else ''!r}"
                ) from refused
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("PgBouncer did not listen within 10 s")


@pytest.fixture(scope="module")
def bouncer(django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    binary = _pgbouncer()
    if binary is None:
        pytest.skip("PgBouncer is not installed and apt-get is not available to install it")
    with django_db_blocker.unblock():
        database = dict(connections["default"].settings_dict)
        practices = list(Practice.objects.filter(slug__in=["alpha", "beta"]).order_by("slug"))
    # Not under pytest's own temporary folder, which the postgres user may not enter.
    folder = Path(tempfile.mkdtemp(prefix="practica-pgbouncer-"))
    folder.chmod(0o755)
    direct = psycopg.connect(
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        dbname=database["NAME"],
        user=database["USER"],
        autocommit=True,
    )
    # A committed row per practice, in a table of its own schema (each practice's "data"),
    # visible to connections other than the test's own.
    for practice in practices:
        direct.execute(f'CREATE TABLE "{practice.schema_name}".pooler_probe (owner text)')
        direct.execute(f'INSERT INTO "{practice.schema_name}".pooler_probe VALUES (%s)', [practice.slug])  # noqa: S608
    started: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        started["session"] = _start(binary, folder / "session", "session", POOL_SIZE, database)
        started["transaction"] = _start(binary, folder / "transaction", "transaction", 1, database)
        yield {
            "database": database,
            "practices": practices,
            "ports": {mode: port for mode, (_process, port) in started.items()},
        }
    finally:
        for process, _port in started.values():
            process.send_signal(signal.SIGINT)  # PgBouncer's shutdown
            process.wait(timeout=10)
        for practice in practices:
            direct.execute(f'DROP TABLE "{practice.schema_name}".pooler_probe')
        direct.close()
        shutil.rmtree(folder, ignore_errors=True)


def _unit_of_work(
    practice: Practice, port: int, start: threading.Barrier, seen: list[tuple[str, str]]
) -> None:
    """What a request, task or socket does: choose the practice at the edge, then query, on this
    thread's own Django connection (through the pooler), closed at the end as after a request."""
    here = connections["default"]
    here.settings_dict = {**here.settings_dict, "PORT": port, "CONN_MAX_AGE": 0}
    try:
        start.wait(timeout=10)
        here.set_tenant(practice)  # type: ignore[attr-defined]  # django-tenants' backend
        for _ in range(3):
            with here.cursor() as cursor:  # autocommit: each statement its own transaction
                cursor.execute("SELECT owner, current_schema() FROM pooler_probe")
                seen.append((practice.slug, str(cursor.fetchone())))
            time.sleep(0.005)
        with transaction.atomic(), here.cursor() as cursor:
            cursor.execute("SELECT owner, current_schema() FROM pooler_probe")
            seen.append((practice.slug, str(cursor.fetchone())))
    finally:
        here.close()


def test_concurrent_work_for_two_practices_through_a_small_session_pool(
    bouncer: dict[str, Any], db: None
) -> None:
    alpha, beta = bouncer["practices"]
    seen: list[tuple[str, str]] = []
    start = threading.Barrier(WORKERS)
    threads = [
        threading.Thread(
            target=_unit_of_work,
            args=((alpha, beta)[i % 2], bouncer["ports"]["session"], start, seen),
        )
        for i in range(WORKERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(seen) == WORKERS * 4
    schemas = {practice.slug: practice.schema_name for practice in (alpha, beta)}
    wrong = [(slug, row) for slug, row in seen if row != str((slug, schemas[slug]))]
    assert wrong == []
    assert connection.schema_name == "public"  # type: ignore[attr-defined]


def test_transaction_pooling_would_hand_one_practices_schema_to_another_client(
    bouncer: dict[str, Any],
) -> None:
    """Why the docs say session pooling: with one server connection in transaction mode, a client
    that never chose a practice reads the schema another client set."""
    database, port = bouncer["database"], bouncer["ports"]["transaction"]
    alpha = bouncer["practices"][0]

    def client() -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1",
            port=port,
            dbname=database["NAME"],
            user=database["USER"],
            autocommit=True,
            prepare_threshold=None,
        )

    with client() as first, client() as second:
        first.execute(f'SET search_path = "{alpha.schema_name}", public')
        row = second.execute("SELECT owner FROM pooler_probe").fetchone()
    assert row == ("alpha",)
