"""An 835 posted by the remittance service opens the denials work queue's items, and an
adjudicated claim goes on to the secondary payer with the posted outcome."""

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from practica.claims.models import ClaimStatus
from practica.denials.models import DenialItem
from practica.insurance.models import Coverage, Payer, Priority
from practica.remittance.next_payer import forward_to_next_payer
from practica.remittance.services import import_remittance
from tenants.models import Practice
from tests.remittance.factories import claims_from_835, simple_835


@pytest.fixture
def alpha(practice_a: Practice, in_practice: Any, settings: Any, tmp_path: Path) -> Iterator[Practice]:
    settings.EDI_ROOT = str(tmp_path / "edi")
    with in_practice(practice_a):
        yield practice_a


def test_a_posted_denial_opens_one_item_and_the_claim_goes_on_to_the_secondary(alpha: Practice) -> None:
    setup = simple_835(
        [
            (
                "C1",
                13500,
                0,
                [
                    ("99213", 12000, 0, "", [("CO", "45", 12000)]),
                    ("36415", 1500, 0, "", [("CO", "45", 1500)]),
                ],
            )
        ],
        trace="SETUP",
    )
    (claim,) = claims_from_835(setup)
    text = simple_835(
        [
            (
                "C1",
                13500,
                7000,
                [
                    ("99213", 12000, 7000, "C1-1", [("CO", "45", 3000), ("PR", "2", 2000)]),
                    ("36415", 1500, 0, "C1-2", [("CO", "97", 1500)]),
                ],
            )
        ]
    )
    assert import_remittance("era.835", text.encode(), validate=False).posted == 1
    (item,) = DenialItem.objects.all()
    assert item.claim_line is not None
    assert (item.claim_line.line_control_number, item.category, item.amount_cents) == (
        "C1-2",
        "bundling",
        1500,
    )
    assert item.reason_codes == ["CO-97"] and item.status == "open"
    import_remittance("era-again.835", text.encode(), validate=False)
    assert DenialItem.objects.count() == 1

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ADJUDICATED
    second = Payer.objects.create(name="Second Plan", payer_ids={"folder": "SP1"})
    Coverage.objects.create(
        patient_id=claim.patient_id, payer=second, priority=Priority.SECONDARY, member_id="S1"
    )
    forwarded = forward_to_next_payer(claim, today=datetime.date(2026, 3, 30))
    assert forwarded.payer_id == second.pk and forwarded.prior_claim_id == claim.pk
    assert forwarded.prior_adjudication["paid_cents"] == 7000
    assert forwarded.prior_adjudication["lines"]["2"]["adjustments"][0]["reason"] == "97"
