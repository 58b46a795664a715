"""Benchmark: sending claims from the database, as `manage.py submit_claims` does: 5,000 ready claims
(2 lines and 2 diagnoses each, 50 payers) scrubbed, batched one 837P file per payer, written,
recorded and moved to submitted, in one practice. Target: under 10 s for 5,000 claims, with a
number of queries that does not grow with the number of claims (tests/claims/test_submission.py
pins equal counts for 50 and 500).

Run (after `bin/test` has set up .venv and started the project's PostgreSQL):

    .venv/bin/python tests/perf/bench_submit.py [--claims 5000] [--payers 50] [--rounds 3] [--quick]

Reported apart: the generate path alone (load the claims, build the dataclasses, write the 837P
text; read-only, so it runs `--rounds` times), the scrub alone, the whole submission once (it
changes the claims; it scrubs again, as `submit_claims` always does),
and pyx12's own validation of the files written (the reference, not Practica's path). The claims
are made in bulk beforehand (not timed). The practice is removed afterwards.
"""

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

from tests.perf.django_env import (  # noqa: E402
    BENCH_SLUG_PREFIX,
    machine,
    parse_args,
    prepare_database,
    remove_bench_practices,
    setup_django,
    summary,
)

TARGET_SECONDS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--payers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the generate path")
    parser.add_argument(
        "--pyx12-files", type=int, default=-1, help="files pyx12 validates (-1: all, 0: none)"
    )
    args = parse_args(parser, quick={"claims": 200, "payers": 5, "rounds": 1, "pyx12_files": 1})
    setup_django()

    import logging

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from practica.claims.clearinghouse import FolderClearinghouse
    from practica.claims.models import BillingProfile, Claim, ClaimStatus
    from practica.claims.numbers import EnvelopeNumbers
    from practica.claims.scrubber import scrub_claims
    from practica.claims.submission import submit_ready_claims
    from practica.claims.x12_mapping import build_interchange, by_payer, claims_to_send
    from practica.core.times import in_zone
    from practica.x12.write837 import write_837p
    from tenants.services import provision_practice
    from tests.claims.factories import ready_claims
    from tests.x12.validators import pyx12_validate

    print(f"Submission benchmark on {machine()}: {args.claims} claims, {args.payers} payers")
    prepare_database()
    practice = provision_practice(
        name="Benchmark Claims", slug=f"{BENCH_SLUG_PREFIX}claims-{uuid.uuid4().hex[:8]}", plan=None
    )
    try:
        with tenant_context(practice):
            start = time.perf_counter()
            ready_claims(args.claims, payers=args.payers, lines=2, diagnoses=2)
            print(
                f"  made {args.claims} ready claims in bulk (not timed): {time.perf_counter() - start:.1f} s"
            )
            profile = BillingProfile.objects.get()
            now = timezone.now()
            created = in_zone(now, practice).replace(tzinfo=None, second=0, microsecond=0)

            seconds, queries = [], 0
            for _ in range(args.rounds):
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    claims = claims_to_send(Claim.objects.filter(status=ClaimStatus.READY))
                    size = 0
                    for n, group in enumerate(by_payer(claims).values(), start=1):
                        numbers = EnvelopeNumbers(isa=n, gs=n, st=n)
                        size += len(
                            write_837p(build_interchange(profile, group, numbers, created, reference="B"))
                        )
                    seconds.append(time.perf_counter() - start)
                queries = len(captured.captured_queries)
            print(
                f"  generate (load, map, write; {queries} queries, {size / 1e6:.2f} MB): {summary(seconds)}"
            )

            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                scrub_claims(list(Claim.objects.only("pk")), today=in_zone(now, practice).date(), now=now)
                took = time.perf_counter() - start
            print(f"  scrub alone ({len(captured.captured_queries)} queries): {took:.2f} s")

            with tempfile.TemporaryDirectory() as folder, CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                result = submit_ready_claims(
                    now=now, zone=practice, clearinghouse=FolderClearinghouse(outbox=Path(folder))
                )
                took = time.perf_counter() - start
                sent = sum(batch.claim_count for batch in result.batches)
                verdict = "met" if took < TARGET_SECONDS else "MISSED"
                if args.claims < 5000:
                    verdict = "not measured by a smaller run"
                print(
                    f"  submit (scrub, batch, write, record, move): {took:.2f} s for {sent} claims in "
                    f"{len(result.batches)} files, {len(captured.captured_queries)} queries "
                    f"(target < {TARGET_SECONDS:.0f} s for 5,000: {verdict})"
                )
                if result.failures or sent != args.claims:
                    sys.exit(f"not every claim was sent: {result.failures[:3]}")
                files = result.batches if args.pyx12_files < 0 else result.batches[: args.pyx12_files]
                if files:
                    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
                    start = time.perf_counter()
                    invalid = [b.file_name for b in files if not pyx12_validate(b.content).valid]
                    print(
                        f"  pyx12 validation of {len(files)} of the files (the reference, not "
                        f"Practica's path): {time.perf_counter() - start:.2f} s, {len(invalid)} invalid"
                    )
                    if invalid:
                        sys.exit(f"pyx12 refused {invalid[:3]}")
    finally:
        remove_bench_practices()


if __name__ == "__main__":
    main()
