"""Benchmark: the nightly eligibility batch's exchanges, 2,000 checks for 200 practices (10 each,
one payer per practice) against the fake clearinghouse (tests/eligibility/fake_clearinghouse.py; a
fake: no real clearinghouse can run here) answering each 270 after 200 ms, with at most
`--concurrency` requests in flight and the adapter's per-payer rate limit; then reading one 271.

Run (after `bin/test` has set up .venv; no database is used):

    .venv/bin/python tests/perf/bench_eligibility.py [--checks 2000] [--practices 200]
        [--latency 0.2] [--concurrency 50] [--per-payer 5] [--parses 2000] [--quick]

Timed per check: the 270 written from dataclasses, the CORE envelope sent over HTTP on loopback,
the 271 read and assessed. Not timed: storing each result (one insert and one update in the
practice's schema), which eligibility's tests cover. Figures: total time, checks/s, failures;
one 271 parsed and assessed: median and p95.
"""

import argparse
import datetime as dt
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from practica.eligibility.realtime import CoreClearinghouse, RealtimeFailed  # noqa: E402
from practica.x12.claim837 import InterchangeParty  # noqa: E402
from practica.x12.inquiry270 import EligibilityInquiry, InformationReceiver, Person, write_270  # noqa: E402
from practica.x12.read271 import assess_271  # noqa: E402
from tests.eligibility.fake_clearinghouse import Answer, FakeClearinghouse, build_271  # noqa: E402
from tests.perf.django_env import machine  # noqa: E402


def inquiry(n: int, payer: int) -> EligibilityInquiry:
    return EligibilityInquiry(
        sender=InterchangeParty(f"PRACTICE{payer:04d}"),
        receiver=InterchangeParty("FAKECH"),
        application_sender=f"PRACTICE{payer:04d}",
        application_receiver="FAKECH",
        control_number=n + 1,
        created=dt.datetime(2026, 11, 2, 22, 0),
        reference=f"NIGHT{n:06d}",
        payer_name=f"PAYER {payer}",
        payer_id=f"P{payer:05d}",
        provider=InformationReceiver(npi="1234567893", last=f"PRACTICE {payer}"),
        subscriber=Person(last="DOE", first="ALEX", birth_date=dt.date(1980, 1, 1), member_id=f"M{n:08d}"),
        trace_number=f"NIGHT{n:06d}",
        trace_originator="1123456789",
        service_types=("30", "98"),
        service_date=dt.date(2026, 11, 3),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--practices", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--per-payer", type=float, default=5.0)
    parser.add_argument("--parses", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="100 checks, 10 practices, 20 ms, 200 parses")
    args = parser.parse_args()
    if args.quick:
        args.checks, args.practices, args.latency, args.parses = 100, 10, 0.02, 200

    fake = FakeClearinghouse(latency=args.latency)
    fake.start()
    inquiries = [inquiry(n, n % args.practices) for n in range(args.checks)]
    for q in inquiries:
        fake.members[q.subscriber.member_id] = (
            Answer() if int(q.trace_number[5:]) % 10 else Answer(status="inactive")
        )
    texts = [(write_270(q), q.payer_id) for q in inquiries]
    core = CoreClearinghouse(
        fake.url,
        sender_id="PRACTICA",
        receiver_id="FAKECH",
        timeout=10,
        retries=2,
        backoff=0.2,
        per_payer_per_second=args.per_payer,
    )
    print(
        f"eligibility benchmark on {machine()}: {args.checks} checks, {args.practices} practices, "
        f"{args.latency * 1000:.0f} ms latency, {args.concurrency} in flight, {args.per_payer:g}/s per payer"
    )

    def one(item: tuple[str, str]) -> str:
        try:
            return assess_271(core.exchange(item[0], payer_id=item[1]), ("30", "98")).status
        except RealtimeFailed:
            return "failed"

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        statuses = list(pool.map(one, texts))
    total = time.perf_counter() - start
    fake.stop()
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(f"  nightly batch: {total:.2f} s total, {args.checks / total:.1f} checks/s   results {counts}")
    if counts.get("failed"):
        raise SystemExit(f"{counts['failed']} checks failed")

    text = build_271(inquiries[1], Answer())
    seconds = []
    for _ in range(args.parses):
        t0 = time.perf_counter()
        assess_271(text, ("30", "98"))
        seconds.append(time.perf_counter() - t0)
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(
        f"  one 271 read and assessed ({len(text)} bytes): median {statistics.median(ordered) * 1e6:.0f} us, "
        f"p95 {p95 * 1e6:.0f} us"
    )


if __name__ == "__main__":
    main()
