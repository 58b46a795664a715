"""Two submissions at once never send a claim twice: each batch takes its claims with FOR UPDATE
SKIP LOCKED, and the lifecycle re-checks each claim's status under its lock.

The racing connections only see committed rows, so this module works in a schema of its own,
cloned from the practice template and dropped at the end, touched only from worker threads, each
with its own connection in autocommit (as tests/scheduling/test_concurrent_booking.py does). The
diagnosis codes it commits to the shared code table are removed afterwards.
"""

import datetime
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.clone import CloneSchema

from practica.claims.clearinghouse import FolderClearinghouse
from practica.claims.models import BatchClaim, Claim, ClaimStatus, SubmissionBatch
from practica.claims.submission import Submission, submit_ready_claims
from practica.codesets.models import Icd10Code
from practica.core.tenancy import use_public_schema
from tests.claims.factories import ready_claims

T = TypeVar("T")
RACE_SCHEMA = "claims_race"
RACERS = 4
NOW = datetime.datetime(2026, 3, 4, 15, 30, tzinfo=datetime.UTC)


def _drop_race_schema() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{RACE_SCHEMA}" CASCADE')


@pytest.fixture(scope="module")
def race_schema(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    with django_db_blocker.unblock():
        _drop_race_schema()
        known = set(Icd10Code.objects.values_list("code", flat=True))
        CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, RACE_SCHEMA)
        try:
            yield RACE_SCHEMA
        finally:
            use_public_schema()
            _drop_race_schema()
            Icd10Code.objects.filter(edition="test").exclude(code__in=known).delete()


def on_own_connection(work: Callable[[], T]) -> T:
    try:
        connection.set_schema(RACE_SCHEMA)  # type: ignore[attr-defined]
        return work()
    finally:
        connection.close()


def test_concurrent_submissions_send_every_claim_exactly_once(
    race_schema: str, db: None, tmp_path: Path
) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(on_own_connection, lambda: ready_claims(60, payers=3)).result()

    barrier = threading.Barrier(RACERS)

    def submit(index: int) -> Submission:
        def work() -> Submission:
            Claim.objects.exists()  # open the connection before the start signal
            barrier.wait(timeout=30)
            adapter = FolderClearinghouse(outbox=tmp_path / f"out-{index}")
            return submit_ready_claims(now=NOW, zone="America/New_York", clearinghouse=adapter)

        return on_own_connection(work)

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        results = list(pool.map(submit, range(RACERS)))

    def outcome() -> tuple[list[str], dict[str, int], int, list[int]]:
        statuses = list(Claim.objects.values_list("status", flat=True))
        sent: dict[str, int] = {}
        for pcn in BatchClaim.objects.values_list("claim__patient_control_number", flat=True):
            sent[pcn] = sent.get(pcn, 0) + 1
        numbers = list(SubmissionBatch.objects.values_list("isa_control_number", flat=True))
        return statuses, sent, SubmissionBatch.objects.count(), numbers

    with ThreadPoolExecutor(max_workers=1) as pool:
        statuses, sent, batch_count, numbers = pool.submit(on_own_connection, outcome).result()

    assert all(result.failures == [] and result.held == [] for result in results)
    assert set(statuses) == {ClaimStatus.SUBMITTED} and len(statuses) == 60
    assert len(sent) == 60 and set(sent.values()) == {1}
    assert sum(len(result.batches) for result in results) == batch_count >= 3
    assert len(set(numbers)) == len(numbers)
    written = sorted(p.name for p in tmp_path.glob("out-*/*.x12"))
    assert len(written) == batch_count
