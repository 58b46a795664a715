"""Django set-up shared by the benchmark scripts (run as plain scripts, not by pytest).

They use `DATABASE_URL` when given, otherwise the project's own PostgreSQL cluster that
`bin/test` / `bin/run` started (database `practica`), and the production settings module
with DEBUG off, so the figures include no debug overhead.
"""

import argparse
import hashlib
import os
import statistics
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_SLUG_PREFIX = "perfbench-"


def _project_cluster_url() -> str:
    """The URL of the cluster bin/lib.sh starts: its port file is under .local/pg, or (as root,
    when the checkout is not reachable by the postgres user) under /var/tmp."""
    checkout_hash = hashlib.sha256(f"{ROOT}\n".encode()).hexdigest()[:12]
    fallback = Path(f"/var/tmp/practica-pg-{checkout_hash}/port")  # noqa: S108  (bin/lib.sh's choice)
    for port_file in (ROOT / ".local/pg/port", fallback):
        if port_file.exists():
            return f"postgres://postgres@127.0.0.1:{port_file.read_text().strip()}/practica"
    port = os.environ.get("PRACTICA_PG_PORT", "54329")
    return f"postgres://postgres@127.0.0.1:{port}/practica"


def setup_django() -> None:
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practica.settings")
    os.environ.setdefault("DATABASE_URL", _project_cluster_url())
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("BASE_DOMAIN", "localhost")
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    # No collectstatic here: whitenoise's note about the missing STATIC_ROOT is noise.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def migrate_project() -> None:
    """What every deploy does: public schema, practice template, every practice."""
    from django.core.management import call_command

    with open(os.devnull, "w") as quiet:
        call_command("migrate_practices", verbosity=0, stdout=quiet)


def prepare_database(email_domain: str | None = None) -> int:
    """Migrate like a deploy, then remove an interrupted earlier run's practices; returns how many.
    In this order: on a fresh clone the database `bin/test` leaves behind is empty (the tests use
    their own), so there is no practice table to look in before migrating."""
    migrate_project()
    return remove_bench_practices(email_domain)


def parse_args(parser: argparse.ArgumentParser, quick: Mapping[str, object]) -> argparse.Namespace:
    """The script's arguments, with `--quick`: a small run (the sizes in `quick`) that shows the
    benchmark still works; the test suite runs every benchmark so (tests/perf/test_benchmarks.py).
    Its figures mean nothing."""
    sizes = ", ".join(f"--{name.replace('_', '-')} {value}" for name, value in quick.items())
    parser.add_argument("--quick", action="store_true", help=f"a small run to check it works ({sizes})")
    args = parser.parse_args()
    if args.quick:
        for name, value in quick.items():
            setattr(args, name, value)
    return args


def summary(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p90 = statistics.quantiles(ordered, n=10, method="inclusive")[-1] if len(ordered) > 1 else ordered[0]
    return (
        f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms   "
        f"min {ordered[0] * 1000:7.1f} ms   max {ordered[-1] * 1000:7.1f} ms"
    )


def machine() -> str:
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), Python {sys.version.split()[0]}"


def remove_bench_practices(email_domain: str | None = None) -> int:
    """Drop every practice (schema, row, domains, memberships) a benchmark created, and the
    owners it signed up (users at `email_domain`, which only benchmarks use).

    The audit receivers are off meanwhile: a practice's audit trail lives in its schema, which
    goes first, so there is nowhere to record these deletions."""
    from django.db import connection
    from django.db.models.signals import post_delete
    from psycopg import sql

    from practica.accounts.models import User
    from practica.audit import signals as audit_signals
    from practica.core.tenancy import use_public_schema
    from tenants.models import Practice

    use_public_schema()
    practices = list(Practice.objects.filter(slug__startswith=BENCH_SLUG_PREFIX))
    post_delete.disconnect(dispatch_uid="audit_post_delete")
    try:
        for practice in practices:
            practice.delete(force_drop=True)
        if email_domain:
            # Not through the ORM: its cascade would look for practice-schema tables (providers
            # point at users) in the public schema. Their practices and memberships are gone.
            with connection.cursor() as cursor:
                users = sql.Identifier(User._meta.db_table)
                delete = sql.SQL("DELETE FROM {} WHERE email LIKE %s").format(users)
                cursor.execute(delete, ["%@" + email_domain])
    finally:
        audit_signals.connect()
    return len(practices)
