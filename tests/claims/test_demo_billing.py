"""The demo's billing: a week of completed, coded visits with draft claims, some to fix."""

import random

from practica.claims.models import Claim, Encounter
from tenants.demo_billing import DIAGNOSES, seed_billing
from tests.claims.conftest import Billing
from tests.claims.factories import icd10


def test_the_demo_has_claims_to_work_clean_and_with_findings(billing: Billing) -> None:
    icd10(*DIAGNOSES)
    seed_billing("alpha", "Alpha Clinic", random.Random(7))
    claims = list(Claim.objects.all())
    assert Encounter.objects.count() == len(claims) >= 5
    assert any(c.error_count for c in claims) and any(c.scrubbed_at and not c.error_count for c in claims)
    seed_billing("alpha", "Alpha Clinic", random.Random(7))  # again: nothing more
    assert Claim.objects.count() == len(claims)
