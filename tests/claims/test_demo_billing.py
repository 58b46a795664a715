"""The demo's billing: a week of completed, coded visits with draft claims, some to fix, and the
payers' remittances for the older ones."""

import random
from pathlib import Path
from typing import Any

from practica.claims.models import Claim, Encounter
from practica.denials.models import DenialItem
from practica.patient_billing.models import LedgerEntry
from practica.patients.models import PatientProfile
from practica.remittance.models import ClaimPayment, RemittanceException, RemittanceFile
from tenants.demo_billing import DIAGNOSES, seed_billing
from tenants.demo_remittance import seed_remittances
from tests.claims.conftest import Billing
from tests.claims.factories import CoverageFactory, icd10
from tests.factories import PatientFactory


def test_the_demo_has_claims_to_work_clean_and_with_findings(billing: Billing) -> None:
    icd10(*DIAGNOSES)
    seed_billing("alpha", "Alpha Clinic", random.Random(7))
    claims = list(Claim.objects.all())
    assert Encounter.objects.count() == len(claims) >= 5
    assert any(c.error_count for c in claims) and any(c.scrubbed_at and not c.error_count for c in claims)
    seed_billing("alpha", "Alpha Clinic", random.Random(7))  # again: nothing more
    assert Claim.objects.count() == len(claims)


def test_the_demo_payers_pay_most_older_claims_and_deny_one_each(
    billing: Billing, settings: Any, tmp_path: Path
) -> None:
    settings.EDI_ROOT = str(tmp_path / "edi")  # the claims go out through the folder clearinghouse
    icd10(*DIAGNOSES)
    for n in range(20):  # enough patients that the random visits are seldom one patient's twice a day
        patient = PatientFactory.create()
        PatientProfile.objects.create(
            patient=patient, address_line1=f"{n} Elm St", city="Springfield", state="IL", postal_code="62704"
        )
        CoverageFactory.create(patient=patient, payer=billing.payer)
    seed_billing("alpha", "Alpha Clinic", random.Random(7))
    clean = Claim.objects.filter(error_count=0).count()
    assert seed_remittances("alpha", "Alpha Clinic", "America/New_York") == []
    files = list(RemittanceFile.objects.all())
    assert files and all(f.source == RemittanceFile.Source.DEMO for f in files)
    # The clean claims went out (but for a rare same-day duplicate the scrubber holds); the older
    # ones came back through the 835 posting, all matched.
    assert Claim.objects.filter(status__in=["submitted", "adjudicated"]).count() >= clean - 2
    assert not RemittanceException.objects.exists()
    paid = ClaimPayment.objects.filter(paid_cents__gt=0)
    assert paid.exists() and DenialItem.objects.exists()
    assert Claim.objects.filter(status="adjudicated").count() == ClaimPayment.objects.count()
    # The coinsurance became the patients' to pay, on their own ledger.
    assert LedgerEntry.objects.filter(kind="charge", memo__contains="after insurance").exists()
    seed_remittances("alpha", "Alpha Clinic", "America/New_York")  # again: nothing more
    assert RemittanceFile.objects.count() == len(files)
