"""Benchmark: writing 5,000 claims (2 lines and 2 diagnoses each, 50 payers, one transaction set per
payer) as one 837P file from the `practica.x12.claim837` dataclasses, then pyx12's own validation
of that file, timed separately (it is the reference, not part of Practica's path).

Run (after `bin/test` has set up .venv; no database is used):

    .venv/bin/python tests/perf/bench_837p.py [--claims 5000] [--payers 50] [--rounds 3] [--quick]

Also reported: reading the file back into dataclasses (`read_837p`). Building the dataclasses is
not timed: the claims app builds them from its models, which its own benchmark measures.
Target: the writer far under 10 s for 5,000 claims.
"""

import argparse
import io
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from practica.x12.read837 import read_837p  # noqa: E402
from practica.x12.write837 import write_837p  # noqa: E402
from tests.perf.django_env import machine, summary  # noqa: E402
from tests.x12 import claims as build  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--payers", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200 claims, 5 payers, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.claims, args.payers, args.rounds = 200, 5, 1

    claims = [build.claim(i, payer_index=i % args.payers, lines=2, diagnoses=2) for i in range(args.claims)]
    interchange = build.interchange(*build.batches_by_payer(claims))
    print(f"837P benchmark on {machine()}: {args.claims} claims, {args.payers} payers, {args.rounds} rounds")

    seconds, text = [], ""
    for _ in range(args.rounds):
        start = time.perf_counter()
        text = write_837p(interchange)
        seconds.append(time.perf_counter() - start)
    print(f"  write_837p: {summary(seconds)}   ({len(text) / 1e6:.2f} MB, {text.count('~')} segments)")

    start = time.perf_counter()
    result = read_837p(text)
    read = time.perf_counter() - start
    claims_read = sum(len(t.claims) for t in result.interchanges[0].transactions)
    if write_837p(result.interchanges[0]) != text:
        sys.exit("the file does not read back as written")
    print(f"  read_837p:  {read * 1000:7.1f} ms ({claims_read} claims)")

    import pyx12.params
    import pyx12.x12n_document

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    start = time.perf_counter()
    valid = pyx12.x12n_document.x12n_document(
        param=pyx12.params.params(),
        src_file=io.StringIO(text),
        fd_997=io.StringIO(),
        fd_html=None,
        fd_xmldoc=None,
        fd_json=io.StringIO(),
    )
    took = time.perf_counter() - start
    print(f"  pyx12 validation (the reference, not Practica's path): {took:.2f} s, valid={valid}")
    if not valid:
        sys.exit("pyx12 refused the file")


if __name__ == "__main__":
    main()
