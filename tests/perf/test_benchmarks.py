"""Every benchmark script in tests/perf runs, small (`--quick`), from a fresh database.

As the README says to run them after `bin/test` on a fresh clone: in their own process, with the
production settings, against a database nothing has migrated yet (the one `bin/test` leaves
behind is empty: the tests use their own). The figures of such a run mean nothing; that the
scripts still work is what is checked, so that they cannot rot.
"""

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from django.conf import settings

PERF = Path(__file__).resolve().parent
ROOT = PERF.parents[1]
# bench_scale last: it starts from a copy of the database the others have migrated by then.
SCRIPTS = sorted(PERF.glob("bench_*.py"), key=lambda script: (script.name == "bench_scale.py", script.name))
# Seconds one quick run may take, on a loaded machine (most take a few).
TIMEOUT = 180
# bench_scale migrates a database of its own, then runs migrate_practices twice more.
TIMEOUTS = {"bench_scale.py": 420}

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_params() -> dict[str, str]:
    db = settings.DATABASES["default"]
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": str(db["PORT"] or 5432),
        "user": db["USER"] or "postgres",
        "password": db["PASSWORD"] or "",
    }


def _admin_connection(params: dict[str, str]) -> psycopg.Connection:
    """To the server's maintenance database: a database is created and dropped from outside it."""
    conninfo = psycopg.conninfo.make_conninfo(dbname="postgres", **params)
    return psycopg.connect(conninfo, autocommit=True)


@pytest.fixture(scope="module")
def fresh_database_url() -> Iterator[str]:
    """An empty database on the tests' PostgreSQL server, dropped afterwards."""
    params = _server_params()
    name = f"practica_bench_{uuid.uuid4().hex[:8]}"
    with _admin_connection(params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    auth = quote(params["user"], safe="")
    if params["password"]:
        auth += ":" + quote(params["password"], safe="")
    try:
        yield f"postgres://{auth}@{params['host']}:{params['port']}/{name}"
    finally:
        with _admin_connection(params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_there_are_benchmarks_to_run() -> None:
    assert {"bench_provisioning.py", "bench_routing.py"} <= {script.name for script in SCRIPTS}


# The first script to run migrates the fresh database, as a deploy would (several seconds).
@pytest.mark.parametrize("script", SCRIPTS, ids=[script.stem for script in SCRIPTS])
def test_benchmark_runs_quick_from_a_fresh_database(script: Path, fresh_database_url: str) -> None:
    assert settings.REDIS_URL, "bin/test starts Redis; the messaging benchmark needs it"
    # A shell's environment, not the test process's (whose settings module and test values
    # would leak into the script's production settings).
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108
        "LANG": "C.UTF-8",
        "DATABASE_URL": fresh_database_url,
        "REDIS_URL": settings.REDIS_URL,
    }
    arguments = [sys.executable, str(script), "--quick"]
    if "--port" in script.read_text():
        arguments += ["--port", str(_free_port())]  # not a fixed one another run may hold
    if "--copy-of" in script.read_text():
        # Migrating an empty database again would add nothing to what the first script checked.
        arguments += ["--copy-of", urlsplit(fresh_database_url).path.lstrip("/")]
    result = subprocess.run(  # noqa: S603  (our own scripts, fixed arguments)
        arguments,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUTS.get(script.name, TIMEOUT),
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{script.name} --quick failed:\n{output[-4000:]}"
    assert "Traceback" not in output, output[-4000:]
    assert result.stdout.strip(), f"{script.name} printed no figures"
