"""Benchmark: posting an 835 remittance, as `manage.py import_remittance` does: one file paying
5,000 submitted claims (2 lines each: 10,000 service lines, each with its REF*6R, a contractual
adjustment and a coinsurance share), read, matched, balanced, posted to the insurance ledger and
the patients' ledgers, and the claims moved to adjudicated, in one practice. Targets: under 20 s
for 5,000 claims; the same file again under 5 s with zero new rows; a number of queries that
does not grow with the number of claims (tests/remittance/test_posting.py pins equal counts for
20 and 200).

Run (after `bin/test` has set up .venv and started the project's PostgreSQL):

    .venv/bin/python tests/perf/bench_remittance.py [--claims 5000] [--quick]

Timed apart: pyx12's check of the same file (import runs it before its transaction; reported
beside, with the total). The claims and the 835 text are made beforehand (not timed). The
practice is removed afterwards.
"""

import argparse
import sys
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
)

TARGET_SECONDS = 20.0
REIMPORT_SECONDS = 5.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--no-pyx12", action="store_true", help="skip timing pyx12's check")
    args = parse_args(parser, quick={"claims": 100})
    setup_django()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import tenant_context

    from practica.claims.models import Claim
    from practica.patient_billing.models import LedgerEntry
    from practica.remittance.models import Adjustment, ClaimPayment, InsuranceLedgerEntry, ServicePayment
    from practica.remittance.services import import_remittance
    from practica.remittance.validation import validate_835
    from tenants.services import provision_practice
    from tests.claims.factories import ready_claims
    from tests.remittance.factories import era_for

    print(f"Remittance benchmark on {machine()}: {args.claims} claims, {args.claims * 2} service lines")
    prepare_database()
    practice = provision_practice(
        name="Benchmark Remittance", slug=f"{BENCH_SLUG_PREFIX}remit-{uuid.uuid4().hex[:8]}", plan=None
    )

    def rows() -> int:
        return sum(
            m.objects.count()
            for m in (ClaimPayment, ServicePayment, Adjustment, InsuranceLedgerEntry, LedgerEntry)
        )

    try:
        with tenant_context(practice):
            start = time.perf_counter()
            claims = ready_claims(args.claims, payers=1, lines=2, status="submitted")
            text = era_for(claims)
            print(
                f"  made {args.claims} submitted claims and their 835 ({len(text) / 1e6:.2f} MB; not timed): "
                f"{time.perf_counter() - start:.1f} s"
            )
            pyx12 = 0.0
            if not args.no_pyx12:
                start = time.perf_counter()
                checked = validate_835(text)
                pyx12 = time.perf_counter() - start
                print(
                    f"  pyx12's check of the file: {pyx12:.2f} s, valid={checked['valid']}, "
                    f"{len(checked['findings'])} findings"
                )
                for finding in list(checked["findings"])[:3]:
                    print(f"    pyx12: {finding}")
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                result = import_remittance("bench.835", text.encode(), validate=False)
                took = time.perf_counter() - start
            verdict = "met" if took + pyx12 < TARGET_SECONDS else "MISSED"
            if args.claims < 5000:
                verdict = "not measured by a smaller run"
            print(
                f"  post (read, match, balance, ledgers, claims adjudicated): {took:.2f} s, "
                f"{len(captured.captured_queries)} queries; with pyx12 {took + pyx12:.2f} s "
                f"(target < {TARGET_SECONDS:.0f} s for 5,000: {verdict})"
            )
            slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:6]
            for q in slowest:
                print(f"    {float(q['time']):6.2f} s  {q['sql'][:90]}")
            print(f"  {result.summary}")
            if result.posted != args.claims or result.exceptions:
                sys.exit("not every claim payment was posted")
            adjudicated = Claim.objects.filter(status="adjudicated").count()
            if adjudicated != args.claims:
                sys.exit(f"only {adjudicated} claims adjudicated")
            before = rows()
            start = time.perf_counter()
            again = import_remittance("bench-again.835", text.encode())
            took = time.perf_counter() - start
            new_rows = rows() - before
            verdict = "met" if took < REIMPORT_SECONDS and new_rows == 0 else "MISSED"
            print(
                f"  the same file again: {took:.2f} s, {new_rows} new rows, new={again.new} "
                f"(target < {REIMPORT_SECONDS:.0f} s and 0 rows: {verdict})"
            )
            if new_rows or again.new:
                sys.exit("re-importing the same file added rows")
    finally:
        remove_bench_practices()


if __name__ == "__main__":
    main()
