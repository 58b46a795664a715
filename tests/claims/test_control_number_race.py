"""ISA13/GS06/ST02 stay unique when many connections ask for them at the same moment.

Each worker thread has its own database connection on practice A's schema; the sequences the
numbers come from are not transactional, so nothing has to be committed (or cleaned up)."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from practica.claims.numbers import EnvelopeNumbers, allocate_envelope_numbers
from tenants.models import Practice

WORKERS = 8
EACH = 25


def test_concurrent_allocations_never_share_a_number(practice_a: Practice) -> None:
    barrier = threading.Barrier(WORKERS)
    schema = practice_a.schema_name

    def worker() -> list[EnvelopeNumbers]:
        try:
            connection.set_schema(schema)  # type: ignore[attr-defined]
            barrier.wait(timeout=30)
            return [allocate_envelope_numbers() for _ in range(EACH)]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = [n for future in [pool.submit(worker) for _ in range(WORKERS)] for n in future.result()]

    assert len(results) == WORKERS * EACH
    for kind in ("isa", "gs", "st"):
        values = [getattr(n, kind) for n in results]
        assert len(set(values)) == len(values), kind
