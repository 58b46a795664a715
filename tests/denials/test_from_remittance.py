"""An 835 posted by the remittance service opens the denials work queue's items, and an
adjudicated claim goes on to the secondary payer with the posted outcome."""

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from practica.claims.models import ClaimStatus
from practica.denials.errors import DenialError
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


def _denied_claim() -> tuple[Any, str]:
    """A claim of three lines and the 835 that pays the first, denies the second (CO-50, worked)
    and closes the third with a contractual adjustment while paying nothing."""
    (claim,) = claims_from_835(
        simple_835(
            [
                (
                    "D1",
                    16012,
                    0,
                    [
                        ("99213", 12000, 0, "", [("CO", "45", 12000)]),
                        ("36415", 1537, 0, "", [("CO", "45", 1537)]),
                        ("81002", 2475, 0, "", [("CO", "45", 2475)]),
                    ],
                )
            ],
            trace="SETUP",
        )
    )
    era = simple_835(
        [
            (
                "D1",
                16012,
                7000,
                [
                    ("99213", 12000, 7000, "D1-1", [("CO", "45", 3000), ("PR", "2", 2000)]),
                    ("36415", 1537, 0, "D1-2", [("CO", "50", 1537)]),
                    ("81002", 2475, 0, "D1-3", [("CO", "45", 2475)]),
                ],
            )
        ]
    )
    return claim, era


def test_a_write_off_closes_the_denied_line_on_the_insurance_ledger_to_the_cent(alpha: Practice) -> None:
    from practica.denials import services
    from practica.remittance.models import InsuranceLedgerEntry
    from practica.remittance.selectors import insurance_balances

    claim, era = _denied_claim()
    import_remittance("era.835", era.encode(), validate=False)
    open_by_line = {
        b.line.line_control_number: (b.paid, b.adjusted, b.denied_open, b.open)
        for b in insurance_balances(claim)
    }
    assert open_by_line == {
        "D1-1": (7000, 5000, 0, 0),
        "D1-2": (0, 0, 1537, 1537),  # the denial stays open on its line
        "D1-3": (0, 2475, 0, 0),
    }
    denied = DenialItem.objects.get(claim_line__line_control_number="D1-2")
    zero_paid = DenialItem.objects.get(claim_line__line_control_number="D1-3")

    services.write_off(denied, "Under the small balance limit")
    entry = InsuranceLedgerEntry.objects.get(source_key=f"denial:{denied.pk}:written_off")
    assert (entry.kind, entry.amount_cents, entry.claim_line_id, entry.payer_id) == (
        "written_off",
        1537,
        denied.claim_line_id,
        claim.payer_id,
    )
    assert [b.open for b in insurance_balances(claim)] == [0, 0, 0]
    with pytest.raises(DenialError):
        services.write_off(denied, "again")
    assert InsuranceLedgerEntry.objects.filter(source_key__startswith=f"denial:{denied.pk}").count() == 1
    with pytest.raises(ValueError, match="append-only"):
        entry.save()

    # A zero-paid line the payer closed with ordinary adjustments has nothing open to write off.
    before = InsuranceLedgerEntry.objects.count()
    services.write_off(zero_paid, "Contract rate")
    assert InsuranceLedgerEntry.objects.count() == before
    assert (
        sum(InsuranceLedgerEntry.objects.filter(claim=claim).values_list("amount_cents", flat=True))
        == 16012 + 1537
    )


def test_moving_a_denial_to_the_patient_closes_it_on_the_insurance_ledger_once(alpha: Practice) -> None:
    from practica.denials import services
    from practica.remittance.ledger import close_denied
    from practica.remittance.models import InsuranceLedgerEntry
    from practica.remittance.selectors import insurance_balances

    claim, era = _denied_claim()
    import_remittance("era.835", era.encode(), validate=False)
    denied = DenialItem.objects.get(claim_line__line_control_number="D1-2")
    services.transfer_to_patient(denied)
    entry = InsuranceLedgerEntry.objects.get(kind="transferred")
    assert (entry.amount_cents, entry.source_key) == (1537, f"denial:{denied.pk}:transferred")
    assert [b.open for b in insurance_balances(claim)] == [0, 0, 0]
    # The same decision again (a retry) finds its entry; nothing beyond what is open is closed.
    again = close_denied(
        claim_id=claim.pk,
        claim_line_id=denied.claim_line_id,
        kind="transferred",
        amount_cents=1537,
        source_key=f"denial:{denied.pk}:transferred",
    )
    assert again is not None and again.pk == entry.pk
    assert (
        close_denied(
            claim_id=claim.pk,
            claim_line_id=denied.claim_line_id,
            kind="written_off",
            amount_cents=1537,
            source_key="other",
        )
        is None
    )
    assert InsuranceLedgerEntry.objects.filter(claim_line_id=denied.claim_line_id).count() == 2


def test_billers_send_an_adjudicated_claim_on_to_the_secondary_from_its_page(alpha: Practice) -> None:
    from practica.accounts.roles import Role
    from tests.conftest import signed_in_client, staff

    claim, era = _denied_claim()
    biller = signed_in_client(staff(alpha, Role.BILLER), alpha)
    url = f"/claims/{claim.pk}/next-payer/"

    # Submitted, not adjudicated: no button, and a post says why.
    assert "Send on to" not in biller.get(f"/claims/{claim.pk}/").content.decode()
    refused = biller.post(url, follow=True)
    assert "No remittance has been posted to this claim yet." in refused.content.decode()

    import_remittance("era.835", era.encode(), validate=False)
    page = biller.get(f"/claims/{claim.pk}/").content.decode()
    assert "Send on to" not in page and "What insurance did" in page
    assert "no coverage after" in biller.post(url, follow=True).content.decode()

    second = Payer.objects.create(name="Second Plan", payer_ids={"folder": "SP1"})
    Coverage.objects.create(
        patient_id=claim.patient_id, payer=second, priority=Priority.SECONDARY, member_id="S77"
    )
    page = biller.get(f"/claims/{claim.pk}/").content.decode()
    assert "Send on to Second Plan" in page and "member S77" in page
    sent = biller.post(url)
    forwarded = claim.next_payer_claims.get()
    assert sent.status_code == 302 and sent["Location"] == f"/claims/{forwarded.pk}/"
    assert (forwarded.payer_id, forwarded.prior_adjudication["paid_cents"]) == (second.pk, 7000)
    shown = biller.get(f"/claims/{forwarded.pk}/").content.decode()
    assert f'Sent after claim <a href="/claims/{claim.pk}/">{claim.patient_control_number}</a>' in shown
    page = biller.get(f"/claims/{claim.pk}/").content.decode()
    assert "Send on to" not in page and f'href="/claims/{forwarded.pk}/"' in page
    again = biller.post(url, follow=True).content.decode()
    assert "already went on to the next payer" in again
    assert claim.next_payer_claims.count() == 1
