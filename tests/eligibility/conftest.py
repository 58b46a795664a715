import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from practica.insurance.models import Coverage
from tenants.models import Practice
from tests.claims.factories import CoverageFactory, PayerFactory
from tests.factories import make_clinic

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBER_271 = "X279-response-to-generic-request-by-clinic-for-patient-(subscriber)-eligibility.edi"


@pytest.fixture(scope="session")
def badx12_edi() -> Path:
    folder = Path(os.environ.get("PRACTICA_BADX12_EDI") or ROOT / ".local/badx12-0.2.2/tests/files/edi")
    if not (folder / SUBSCRIBER_271).is_file():
        pytest.fail(f"The X12 example files are not in {folder}: run the tests with bin/test")
    return folder


@pytest.fixture
def coverage(practice_a: Practice, in_practice: Any) -> Iterator[Coverage]:
    """An insured patient of practice A; the test runs inside the practice."""
    with in_practice(practice_a):
        clinic = make_clinic(practice_a, hours=None, patient={"sex": "F"})
        payer = PayerFactory.create(name="Lakeview Health", payer_ids={"realtime": "87726"})
        yield CoverageFactory.create(patient=clinic.patient, payer=payer)
