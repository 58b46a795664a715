"""Benchmark: signup, migrations and connection memory with thousands of practices.

Run (after `bin/test` or `bin/run` has set up .venv and the database server):

    .venv/bin/python tests/perf/bench_scale.py [--sizes 0,500,1000,2000] [--signups 10] [--quick]
        [--copy-of DATABASE]

It works in a database of its own, `<DATABASE_URL's name>_scale` on the same server, created at
the start and dropped at the end (also after a failure), so it never touches another database.
`--copy-of` starts it as a copy of a database already migrated (the suite's quick run, which has
just migrated one) instead of migrating an empty one.
Method:
  * the database is migrated like a deploy; a throwaway practice app (`perfbench_app`, written to
    a temporary folder) adds one table to every practice;
  * for each size, practices are added up to it by the fastest path (practice rows, then a copy of
    the template per schema, one per transaction), then `--signups` real signups
    (`tenants.services.sign_up_practice`) are timed: p50 and p95. Between two signups the pool of
    ready schemas is refilled, untimed, as the worker does in the background (tenants.pool);
    `PRACTICE_READY_SCHEMAS=0` measures the copy made at signup instead;
  * at the largest size: `migrate_practices` with nothing to do, then with one new migration
    (a column with an index on the throwaway app's table) for every practice, each run as a
    deploy runs it (its own process);
  * one connection touches five tables in every practice, as a long-lived web or worker process
    would; the backend's memory (pg_backend_memory_contexts) is read before and after;
  * the database size per empty practice is measured while the first practices are added.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.perf.django_env import ROOT, _project_cluster_url, machine, parse_args

APP = "perfbench_app"
INITIAL = """from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [
        migrations.CreateModel(
            name="Marker",
            fields=[("id", models.BigAutoField(primary_key=True)), ("at", models.DateTimeField(null=True))],
        )
    ]
"""
ONE_COLUMN = """from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("perfbench_app", "0001_initial")]
    operations = [
        migrations.AddField("marker", "label", models.CharField(max_length=20, default="", db_index=True))
    ]
"""
SETTINGS = f"""from practica.settings import *  # noqa: F403

TENANT_APPS = [*TENANT_APPS, "{APP}"]  # noqa: F405
INSTALLED_APPS = [*INSTALLED_APPS, "{APP}"]  # noqa: F405
"""
GOAL_SIGNUP_P95 = 1.0
GOAL_NOOP_MIGRATE = 60.0
BATCH = 1  # practices per transaction: each schema takes a lock per table, index and sequence


def scale_database_url() -> tuple[str, str, str]:
    """(URL of the benchmark's own database, its name, URL of the server's maintenance database)."""
    url = urlsplit(os.environ.get("DATABASE_URL") or _project_cluster_url())
    name = f"{url.path.lstrip('/') or 'practica'}_scale"
    return (
        urlunsplit(url._replace(path=f"/{name}")),
        name,
        urlunsplit(url._replace(path="/postgres")),
    )


def admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def write_app(folder: Path) -> None:
    app = folder / APP
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    (app / "migrations" / "0001_initial.py").write_text(INITIAL)
    (folder / "perfbench_settings.py").write_text(SETTINGS)


def migrate_in_process(folder: Path, env: dict[str, str]) -> float:
    """`manage.py migrate_practices` in its own process, as a deploy runs it; seconds."""
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603  (our own command, fixed arguments)
        [sys.executable, str(ROOT / "manage.py"), "migrate_practices", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"migrate_practices failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return elapsed


def p95(seconds: list[float]) -> float:
    if len(seconds) < 2:
        return seconds[0]
    return statistics.quantiles(sorted(seconds), n=20, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0,500,1000,2000", help="existing practices to measure at")
    parser.add_argument("--signups", type=int, default=10, help="timed signups at each size")
    parser.add_argument("--copy-of", default="", help="start from a copy of this migrated database")
    args = parse_args(parser, quick={"sizes": "0,3", "signups": 2})
    sizes = sorted({int(size) for size in args.sizes.split(",")})

    url, name, admin_url = scale_database_url()
    folder = Path(tempfile.mkdtemp(prefix="perfbench-"))
    write_app(folder)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "perfbench_settings",
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT / "platform"), str(ROOT)]),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "benchmark-only-secret-key"),
        "DEBUG": "false",
        "LOG_LEVEL": "ERROR",
        "MIGRATION_PROCESSES": os.environ.get("MIGRATION_PROCESSES", "2"),
        "PRACTICE_READY_SCHEMAS": os.environ.get("PRACTICE_READY_SCHEMAS", "5"),
        # The refill queued after each signup goes to an in-memory queue nobody reads; this script
        # refills between signups itself, outside the timing (the worker's part).
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    os.environ.update(
        {
            key: env[key]
            for key in (
                "DATABASE_URL",
                "DJANGO_SETTINGS_MODULE",
                "PRACTICE_READY_SCHEMAS",
                "CELERY_TASK_ALWAYS_EAGER",
            )
        }
    )
    sys.path[:0] = [str(folder)]
    admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if args.copy_of:
        admin(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{args.copy_of}"')
    else:
        admin(admin_url, f'CREATE DATABASE "{name}"')
    print(f"Scale benchmark: {machine()}; database {name} (dropped at the end)")
    try:
        run(args, sizes, folder, env)
    finally:
        from django.db import connections

        connections.close_all()
        admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for path in sorted(folder.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        folder.rmdir()
        print(f"Dropped database {name}. Load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def run(args: argparse.Namespace, sizes: list[int], folder: Path, env: dict[str, str]) -> None:
    from tests.perf.django_env import setup_django

    setup_django()
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    from practica.core.tenancy import use_public_schema
    from tenants.cloning import copy_template
    from tenants.models import Plan, Practice
    from tenants.pool import refill_ready_schemas
    from tenants.provisioning import template_schema
    from tenants.services import sign_up_practice

    started = time.perf_counter()
    migrate_in_process(folder, env)
    print(
        f"Migrated the {'copied' if args.copy_of else 'empty'} database "
        f"in {time.perf_counter() - started:.1f} s"
    )
    plan = Plan.objects.filter(code="group").first()

    def database_bytes() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            return int(cursor.fetchone()[0])

    def add_practices(count: int, first: int) -> None:
        for start in range(first, first + count, BATCH):
            with transaction.atomic():
                rows = [
                    Practice(
                        name=f"Bench {i}", slug=f"perfbench-{i}", schema_name=f"p_perfbench_{i}", plan=plan
                    )
                    for i in range(start, min(start + BATCH, first + count))
                ]
                Practice.objects.bulk_create(rows)  # no save(): the schemas are made below
                for practice in rows:
                    copy_template(template_schema(), practice.schema_name)

    def existing() -> int:
        return Practice.objects.exclude(schema_name="public").count()

    import tenants.services as signup_services

    provisioning: list[float] = []
    provision = signup_services.provision_practice

    def timed_provision(**kwargs: Any) -> Practice:
        begun = time.perf_counter()
        try:
            return provision(**kwargs)
        finally:
            provisioning.append(time.perf_counter() - begun)

    signup_services.provision_practice = timed_provision

    def signup() -> float:
        token = uuid.uuid4().hex[:10]
        begun = time.perf_counter()
        sign_up_practice(
            practice_name="Bench signup",
            slug=f"perfbench-s{token}",
            owner_name="Bench Owner",
            email=f"owner-{token}@perfbench.invalid",
            password="benchmark-password-2026",
            plan=plan,
        )
        return time.perf_counter() - begun

    def refill() -> None:
        refill_ready_schemas()
        use_public_schema()

    refill()
    signup()  # warm-up, untimed: imports, and this process reads the template once
    refill()
    size_per_practice = None
    timings: dict[int, list[float]] = {}
    for size in sizes:
        missing = size - existing()
        if missing > 0:
            before, added_at = database_bytes(), time.perf_counter()
            add_practices(missing, existing() + 1000000)
            if size_per_practice is None:
                size_per_practice = (database_bytes() - before) / missing
            print(f"  added {missing} practices in {time.perf_counter() - added_at:.0f} s", flush=True)
        provisioning.clear()
        seconds = []
        for _ in range(args.signups):
            seconds.append(signup())
            refill()
        timings[size] = provisioning[:]
        print(
            f"at {size:5d} existing practices: signup p50 {statistics.median(seconds) * 1000:5.0f} ms "
            f"p95 {p95(seconds) * 1000:5.0f} ms; of which schema, row and domain p50 "
            f"{statistics.median(provisioning) * 1000:5.0f} ms p95 {p95(provisioning) * 1000:5.0f} ms",
            flush=True,
        )

    total = existing()
    print(f"ready schemas kept for signups: {os.environ['PRACTICE_READY_SCHEMAS']}", flush=True)
    connection.close()
    noop = migrate_in_process(folder, env)
    print(
        f"migrate_practices with nothing to do at {total} practices: {noop:.1f} s "
        f"(goal: under {GOAL_NOOP_MIGRATE:.0f} s)",
        flush=True,
    )
    # One connection touching every practice, as a long-lived process serving them all would.
    from practica.patients.models import Patient
    from practica.scheduling.models import Appointment

    def backend_memory() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sum(total_bytes), sum(total_bytes) FILTER (WHERE name = 'CacheMemoryContext') "
                "FROM pg_backend_memory_contexts"
            )
            total_bytes, cache = cursor.fetchone()
        return int(total_bytes), int(cache or 0)

    use_public_schema()
    fresh = backend_memory()
    schemas = list(Practice.objects.exclude(schema_name="public").values_list("schema_name", flat=True))
    for schema in schemas:
        with schema_context(schema):
            list(Patient.objects.values("pk")[:1])
            list(Appointment.objects.select_related("patient", "provider")[:1])
    use_public_schema()
    touched = backend_memory()
    mib = 1024 * 1024
    print(
        f"backend memory: {fresh[0] / mib:.1f} MiB fresh; after touching {len(schemas)} practices "
        f"{touched[0] / mib:.1f} MiB (catalog cache {touched[1] / mib:.1f} MiB), "
        f"{(touched[0] - fresh[0]) / max(len(schemas), 1) / 1024:.0f} KiB per practice"
    )
    if size_per_practice is not None:
        print(f"database size per empty practice: {size_per_practice / 1024:.0f} KiB")
    worst = max(p95(seconds) for seconds in timings.values())
    print(
        f"slowest p95 of a practice's schema, row and domain: {worst:.2f} s "
        f"(goal: under {GOAL_SIGNUP_P95:.0f} s)",
        flush=True,
    )
    connection.close()
    (folder / APP / "migrations" / "0002_label.py").write_text(ONE_COLUMN)
    one_column = migrate_in_process(folder, env)
    print(
        f"migrate_practices adding a column with an index to {total} practices: {one_column:.1f} s "
        f"({env['MIGRATION_PROCESSES']} processes)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = 'perfbench_app_marker' AND NOT EXISTS (SELECT 1 FROM pg_attribute a "
            "WHERE a.attrelid = c.oid AND a.attname = 'label' AND NOT a.attisdropped)"
        )
        (without,) = cursor.fetchone()
    if without:
        raise SystemExit(f"{without} practice schemas lack the new column after migrate_practices")
    connection.close()


if __name__ == "__main__":
    main()
