"""Benchmark: a statement run for one practice with many patients owing money.

Run (after `bin/test` or `bin/run` has set up .venv and the database):

    .venv/bin/python tests/perf/bench_statements.py [--patients 10000] [--quick]

Method: one benchmark practice (removed at the end) with `--patients` patients, each with a mailing
address, four in five with an email, and three ledger entries over the last four months (two
charges and a part payment), all owing more than the practice's minimum; written with bulk inserts.
Then, in this process:
  * the run (`start_run`): which patients owe, their aging and previous statements, one statement
    each in bulk, in one transaction: seconds and statements;
  * the PDFs, rendered as the Celery tasks do (`render` over chunks of RENDER_CHUNK statements):
    each statement's pay-by-link made, its PDF drawn (with its QR code) and saved in the practice's
    folder, its delivery chosen and its outbox rows written, then the run's print batch (the paper
    statements merged into one PDF): seconds, PDFs per second;
  * a rerun of the same period: it must make zero new statements.
The memory high-water mark is this process's peak resident set (getrusage), printed after the data
is written and at the end. The CPU time of this process is shown beside the elapsed time: on a
shared machine the elapsed time moves with the others' load.
"""

import argparse
import datetime
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.perf.django_env import (
    BENCH_SLUG_PREFIX,
    machine,
    parse_args,
    prepare_database,
    remove_bench_practices,
    setup_django,
)

setup_django()

from django.utils import timezone  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from practica.audit.context import acting_as, command  # noqa: E402
from practica.core.tenancy import use_public_schema  # noqa: E402
from practica.patient_billing.models import LedgerEntry  # noqa: E402
from practica.patients.models import Patient, PatientProfile  # noqa: E402
from practica.statements import rendering, services  # noqa: E402
from practica.statements.models import Statement, StatementRun  # noqa: E402
from tenants.services import provision_practice  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def letters(number: int) -> str:
    """A number spelled in letters (names carry no digits): 0 -> a, 27 -> bb."""
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = chr(ord("a") + digit) + text
        if not number:
            return text


def make_patients(count: int, now: datetime.datetime) -> None:
    patients = Patient.objects.bulk_create(
        (
            Patient(
                first_name="Pat",
                last_name=f"Bench{letters(n)}",
                date_of_birth=datetime.date(1970, 1, 1) + datetime.timedelta(days=n % 15000),
                email=f"pat{letters(n)}@bench.example" if n % 5 else "",
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    PatientProfile.objects.bulk_create(
        (
            PatientProfile(
                patient=p, address_line1=f"{n % 900 + 1} Oak Ave", city="Springfield", state="IL",
                postal_code="62704",
            )
            for n, p in enumerate(patients)
        ),
        batch_size=2000,
    )  # fmt: skip
    day = datetime.timedelta(days=1)
    LedgerEntry.objects.bulk_create(
        (
            LedgerEntry(patient=p, kind=kind, amount_cents=cents, posted_at=now - days * day)
            for n, p in enumerate(patients)
            for kind, cents, days in (
                ("charge", 12000 + n % 5000, 100 + n % 20),
                ("payment", -4000, 70),
                ("charge", 2500 + n % 700, 10 + n % 15),
            )
        ),
        batch_size=5000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=10_000, help="patients owing (default 10000)")
    args = parse_args(parser, quick={"patients": 40})

    print(f"Statement run benchmark: {machine()}")
    print(f"{args.patients} patients with balances, 3 ledger entries each, one practice")
    prepare_database()
    use_public_schema()
    practice = provision_practice(
        name="Benchmark Statements", slug=f"{BENCH_SLUG_PREFIX}stmt-{uuid.uuid4().hex[:8]}", plan=None
    )
    # The PDFs are rendered below, in this process, as the Celery tasks would, and timed apart.
    services.queue_rendering = lambda run: 0
    try:
        with tenant_context(practice), acting_as(command("bench_statements")):
            now = timezone.now()
            started = time.perf_counter()
            make_patients(args.patients, now)
            print(f"  data written in {time.perf_counter() - started:.1f} s; peak memory {peak_mb():.0f} MB")
            run_and_render(now)
    finally:
        use_public_schema()
        removed = remove_bench_practices()
        print(f"Removed {removed} benchmark practice(s) and their schemas.")


def run_and_render(now: datetime.datetime) -> None:
    total_start, total_cpu = time.perf_counter(), time.process_time()
    start, cpu = time.perf_counter(), time.process_time()
    run = services.start_run(now=now)
    made = time.perf_counter() - start
    print(
        f"  run: {run.statement_count} statements ({run.total_cents / 100:,.2f} USD due) made in {made:.2f} s"
        f" ({time.process_time() - cpu:.2f} s CPU here)"
    )
    ids = [str(pk) for pk in Statement.objects.filter(run=run).values_list("pk", flat=True)]
    chunks = [ids[i : i + services.RENDER_CHUNK] for i in range(0, len(ids), services.RENDER_CHUNK)]
    start, cpu = time.perf_counter(), time.process_time()
    rendered = sum(rendering.render(chunk) for chunk in chunks)
    elapsed = time.perf_counter() - start
    run.refresh_from_db()
    paper = Statement.objects.filter(run=run, delivery=Statement.Delivery.PAPER).count()
    print(
        f"  PDFs: {rendered} rendered in {elapsed:.1f} s ({time.process_time() - cpu:.1f} s CPU here),"
        f" {rendered / elapsed:,.1f} PDFs/s; print batch of {paper} paper statements"
        f" {'made' if run.print_batch else 'MISSING'}"
    )
    total = time.perf_counter() - total_start
    print(
        f"  total: {total:.1f} s ({time.process_time() - total_cpu:.1f} s CPU here)"
        f"   memory high-water mark {peak_mb():.0f} MB"
    )
    start = time.perf_counter()
    again = services.start_run(now=now + datetime.timedelta(hours=1))
    print(
        f"  rerun of the same period: {again.statement_count} new statements in"
        f" {time.perf_counter() - start:.2f} s ({StatementRun.objects.count()} runs,"
        f" {Statement.objects.count()} statements in all)"
    )
    if again.statement_count != 0:
        raise SystemExit("A rerun of the same period made new statements.")


if __name__ == "__main__":
    main()
