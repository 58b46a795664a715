"""Benchmark: how long a practice signup takes, cloning the template schema vs plain migrate.

Run (after `bin/test` or `bin/run` has set up .venv and the database):

    .venv/bin/python tests/perf/bench_provisioning.py [--signups 10] [--quick]

Method: in one process and one run, `tenants.services.sign_up_practice` (owner account,
practice row, schema, subdomain, owner membership: everything a signup does) is timed
end to end, alternating the two ways of creating the schema so that drift on a shared machine
affects both alike:
  * clone   - the production path: copy the migrated `practice_template` schema and fake its
              migration records (TENANT_CREATION_FAKES_MIGRATIONS=True);
  * migrate - run every practice migration on an empty schema
              (TENANT_CREATION_FAKES_MIGRATIONS=False).
One untimed signup of each kind warms up imports and the migration graph first. Every practice,
schema and user the script creates is removed at the end (also after a failure), and leftovers
of an interrupted earlier run are removed at the start.
"""

import argparse
import statistics
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
    summary,
)

setup_django()

from django.db import connection  # noqa: E402
from django.test import override_settings  # noqa: E402

from tenants.models import Plan  # noqa: E402
from tenants.services import sign_up_practice  # noqa: E402

BENCH_EMAIL_DOMAIN = "perfbench.invalid"
GOAL_SECONDS = 2.0  # a new practice is usable within 2 seconds of signup


def timed_signup(mode: str, index: int, plan: Plan | None) -> float:
    token = uuid.uuid4().hex[:8]
    slug = f"{BENCH_SLUG_PREFIX}{mode}-{index}-{token}"
    with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=(mode == "clone")):
        started = time.perf_counter()
        result = sign_up_practice(
            practice_name=f"Benchmark {mode} {index}",
            slug=slug,
            owner_name="Benchmark Owner",
            email=f"owner-{token}@{BENCH_EMAIL_DOMAIN}",
            password="benchmark-password-2026",
            plan=plan,
        )
        elapsed = time.perf_counter() - started
    # Sanity: the practice schema is there and holds the practice tables.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s",
            [result.practice.schema_name],
        )
        (tables,) = cursor.fetchone() or (0,)
    assert tables > 0, f"{slug}: no tables in {result.practice.schema_name}"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--signups", type=int, default=10, help="timed signups per mode (default 10)")
    args = parse_args(parser, quick={"signups": 1})

    print(f"Practice provisioning benchmark: {machine()}")
    print(
        f"Database: {connection.settings_dict['HOST']}:{connection.settings_dict['PORT']}/"
        f"{connection.settings_dict['NAME']}"
    )
    leftovers = prepare_database(BENCH_EMAIL_DOMAIN)
    if leftovers:
        print(f"(removed {leftovers} practices left by an interrupted earlier run)")
    plan = Plan.objects.filter(code="group").first()
    timings: dict[str, list[float]] = {"clone": [], "migrate": []}
    try:
        for mode in timings if not args.quick else ():
            timed_signup(mode, 0, plan)  # warm-up, untimed
        for index in range(1, args.signups + 1):
            for mode in timings:
                timings[mode].append(timed_signup(mode, index, plan))
            print(
                f"  signup {index:2d}: clone {timings['clone'][-1] * 1000:7.1f} ms   "
                f"migrate {timings['migrate'][-1] * 1000:7.1f} ms",
                flush=True,
            )
    finally:
        removed = remove_bench_practices(BENCH_EMAIL_DOMAIN)
    print()
    for mode, seconds in timings.items():
        print(f"{mode:8s} ({len(seconds)} signups)  {summary(seconds)}")
    clone_p50, migrate_p50 = statistics.median(timings["clone"]), statistics.median(timings["migrate"])
    print(
        f"clone is {migrate_p50 / clone_p50:.1f}x faster at p50; "
        f"slowest clone signup {max(timings['clone']):.2f} s (goal: under {GOAL_SECONDS:.0f} s)"
    )
    print(f"Removed {removed} benchmark practices, their schemas and owners.")


if __name__ == "__main__":
    main()
