"""The seven X221 835 examples of the implementation guide (from the badx12 0.2.2 wheel), posted
into claims made from each file's own claim and line data: every one parses; each balanced
claim payment posts to the cent; what cannot be posted is held with its reason; a second read
posts nothing."""

from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum

from practica.claims.models import Claim
from practica.patient_billing.models import LedgerEntry
from practica.remittance.models import (
    ClaimPayment,
    InsuranceLedgerEntry,
    RemittanceException,
)
from practica.remittance.services import import_remittance
from practica.x12.remit835 import read_835
from tenants.models import Practice
from tests.remittance.factories import claims_from_835

EXAMPLES = [
    "X221-dollars-and-data-sent-separate.edi",
    "X221-dollars-and-data-sent-together.edi",
    "X221-era-sample.edi",
    "X221-multiple-claims-single-check.edi",
    "X221-secondary-payment-with-higher-fee-schedule.edi",
    "X221-secondary-payments.edi",
    "X221-tertiary-payments.edi",
]


def test_the_seven_examples_are_all_there(badx12_edi: Path) -> None:
    assert sorted(p.name for p in badx12_edi.glob("X221-*.edi")) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_parses_and_balances_as_read(badx12_edi: Path, name: str) -> None:
    parsed = read_835((badx12_edi / name).read_text())
    assert parsed.claim_count >= 1
    for remittance in parsed.remittances:
        assert remittance.trace_number
        assert sum(c.paid_cents for c in remittance.claims) - remittance.provider_adjustment_cents == (
            remittance.total_paid_cents
        )
        for claim in remittance.claims:
            assert claim.charge_cents - claim.paid_cents == claim.adjustment_cents


@pytest.mark.parametrize("name", [n for n in EXAMPLES if "multiple-claims" not in n])
def test_example_posts_to_the_cent_once(
    badx12_edi: Path, name: str, practice_a: Practice, in_practice: Any
) -> None:
    raw = (badx12_edi / name).read_bytes()
    parsed = read_835(raw.decode())
    with in_practice(practice_a):
        claims = claims_from_835(raw.decode())
        result = import_remittance(name, raw, validate=False)
        assert result.new and result.exceptions == 0, list(
            RemittanceException.objects.values_list("message", flat=True)
        )
        assert result.posted == parsed.claim_count
        for clp in (c for r in parsed.remittances for c in r.claims):
            claim = Claim.objects.get(patient_control_number=clp.patient_control_number)
            entries = InsuranceLedgerEntry.objects.filter(claim=claim)
            # Every cent of the charge is accounted for: paid, adjusted or moved to the patient.
            assert (
                entries.aggregate(s=Sum("amount_cents"))["s"] == claim.total_charge_cents == clp.charge_cents
            )
            assert entries.filter(kind="payment").aggregate(s=Sum("amount_cents"))["s"] == clp.paid_cents
            patient_share = sum(a.amount_cents for a in clp.adjustments if a.group == "PR") + sum(
                a.amount_cents for s in clp.services for a in s.adjustments if a.group == "PR"
            )
            owed = (
                LedgerEntry.objects.filter(patient=claim.patient).aggregate(s=Sum("amount_cents"))["s"] or 0
            )
            assert owed == patient_share
            assert claim.status == "adjudicated"
            assert claim.payer_claim_control_number == clp.payer_claim_control_number
        rows = (
            InsuranceLedgerEntry.objects.count(),
            LedgerEntry.objects.count(),
            ClaimPayment.objects.count(),
        )
        again = import_remittance(name, raw, validate=False)
        assert not again.new and again.posted == 0
        assert (
            InsuranceLedgerEntry.objects.count(),
            LedgerEntry.objects.count(),
            ClaimPayment.objects.count(),
        ) == rows
        assert len(claims) == parsed.claim_count


def test_one_check_naming_one_claim_nine_times_is_held_as_ambiguous(
    badx12_edi: Path, practice_a: Practice, in_practice: Any
) -> None:
    """The example pays nine patients' claims all under patient control number 7722337: which
    claim each is for cannot be known, so none is guessed."""
    name = "X221-multiple-claims-single-check.edi"
    raw = (badx12_edi / name).read_bytes()
    with in_practice(practice_a):
        claims_from_835(raw.decode())
        result = import_remittance(name, raw, validate=False)
        assert result.posted == 0
        kinds = set(RemittanceException.objects.values_list("kind", flat=True))
        assert kinds == {RemittanceException.Kind.AMBIGUOUS_CLAIM}
        assert RemittanceException.objects.count() == 9
        assert all(
            "9 claim payments" in m for m in RemittanceException.objects.values_list("message", flat=True)
        )
        assert not InsuranceLedgerEntry.objects.exists()
        assert set(ClaimPayment.objects.values_list("state", flat=True)) == {"held"}


def test_pyx12_checks_each_example_and_finds_nothing(
    badx12_edi: Path, practice_a: Practice, in_practice: Any
) -> None:
    name = "X221-tertiary-payments.edi"
    raw = (badx12_edi / name).read_bytes()
    with in_practice(practice_a):
        claims_from_835(raw.decode())
        result = import_remittance(name, raw)
        assert result.file.validation == {"checked": True, "valid": True, "findings": []}
        assert result.posted == 1
