"""Claims to the secondary payer: made from an adjudicated primary claim with the primary's outcome,
sent as an 837P with loops 2320/2330 and 2430 that pyx12 and x12sdk (which nobody here wrote) accept."""

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from practica.claims.errors import ClaimsError
from practica.claims.models import Claim, ClaimStatus
from practica.claims.secondary import Adjustment, LineOutcome, PayerOutcome, create_next_payer_claim
from practica.claims.submission import submit_ready_claims
from practica.claims.x12_mapping import claims_to_send
from practica.insurance.models import Coverage, Payer, Priority
from tenants.models import Practice
from tests.claims.factories import ready_claims
from tests.x12.validators import pyx12_validate, x12sdk_claims

NOW = datetime.datetime(2026, 3, 24, 15, 30, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 3, 24)
PAID_ON = datetime.date(2026, 3, 20)


@pytest.fixture
def alpha(practice_a: Practice, in_practice: Any, settings: Any, tmp_path: Path) -> Iterator[Practice]:
    settings.EDI_ROOT = str(tmp_path / "edi")
    with in_practice(practice_a):
        yield practice_a


def with_secondary(claims: list[Claim]) -> Payer:
    second = Payer.objects.create(name="Second Plan", payer_ids={"folder": "SP001"})
    for n, claim in enumerate(claims):
        Coverage.objects.create(
            patient_id=claim.patient_id,
            payer=second,
            priority=Priority.SECONDARY,
            member_id=f"S{n:07d}",
            subscriber_last_name="Doe",
            subscriber_first_name="Kim",
            subscriber_date_of_birth=datetime.date(1968, 2, 3),
            subscriber_sex="F",
            relationship="01",
        )
    return second


def outcome(claim: Claim) -> PayerOutcome:
    """The office visit (125.00) paid 80.00 with CO-45 25.00 and coinsurance PR-2 20.00; the
    venipuncture (12.50) denied as bundled (CO-97)."""
    first, second = claim.lines.order_by("line_number")
    return PayerOutcome(
        paid_cents=8000,
        adjudicated_on=PAID_ON,
        payer_claim_number="ICN-77",
        lines={
            first.line_control_number: LineOutcome(
                8000, (Adjustment("CO", "45", 2500), Adjustment("PR", "2", 2000))
            ),
            second.line_control_number: LineOutcome(0, (Adjustment("CO", "97", 1250),)),
        },
    )


def test_a_secondary_claim_carries_the_primary_outcome_and_validates(alpha: Practice) -> None:
    primaries = ready_claims(2, payers=1, dependent_every=2, status=ClaimStatus.ADJUDICATED)
    second = with_secondary(primaries)
    made = [create_next_payer_claim(p, outcome(p), today=TODAY) for p in primaries]

    for claim, primary in zip(made, primaries, strict=True):
        assert (claim.payer_id, claim.prior_claim_id, claim.status) == (
            second.pk,
            primary.pk,
            ClaimStatus.DRAFT,
        )
        assert claim.total_charge_cents == primary.total_charge_cents == 13750
        assert claim.coverage.priority == Priority.SECONDARY
        assert claim.prior_adjudication["lines"]["2"] == {
            "paid_cents": 0,
            "adjustments": [{"group": "CO", "reason": "97", "amount_cents": 1250, "quantity": None}],
        }
        assert [line.line_control_number for line in claim.lines.all()] != [
            line.line_control_number for line in primary.lines.all()
        ]
    assert not made[0].findings.filter(severity="error").exists(), list(
        made[0].findings.values("rule_id", "message")
    )

    Claim.objects.filter(pk__in=[c.pk for c in made]).update(status=ClaimStatus.READY)
    result = submit_ready_claims(now=NOW, zone=alpha)
    text = result.batches[0].content
    checked = pyx12_validate(text)
    assert checked.valid, "\n".join(checked.log)
    assert sorted(x12sdk_claims(text)) == sorted((c.patient_control_number, 137.5, 2) for c in made)
    segments = text.replace("\n", "").split("~")
    # Both patients are the secondary subscriber's spouse; to the primary one is a child, one self.
    assert segments.count("SBR*S********CI") == 2
    assert segments.count("SBR*P*19*G100******CI") == 1 and segments.count("SBR*P*18*G100******CI") == 1
    assert "NM1*PR*2*Second Plan*****PI*SP001" in segments
    assert segments.count("AMT*D*80") == 2 and segments.count("REF*F8*ICN-77") == 2
    assert segments.count("SVD*HP000*80*HC:99213**1") == 2
    assert segments.count("CAS*CO*45*25") == 2 and segments.count("CAS*PR*2*20") == 2
    assert segments.count("SVD*HP000*0*HC:36415**1") == 2 and segments.count("CAS*CO*97*12.5") == 2


def test_refusals_change_nothing(alpha: Practice) -> None:
    (primary,) = ready_claims(1, status=ClaimStatus.SUBMITTED)
    with pytest.raises(ClaimsError, match="adjudicated"):
        create_next_payer_claim(primary, outcome(primary), today=TODAY)
    Claim.objects.filter(pk=primary.pk).update(status=ClaimStatus.ADJUDICATED)
    with pytest.raises(ClaimsError, match="no coverage after"):
        create_next_payer_claim(primary, outcome(primary), today=TODAY)
    with_secondary([primary])
    good = outcome(primary)
    first = next(iter(good.lines))
    unbalanced = PayerOutcome(
        8000, PAID_ON, lines={**good.lines, first: LineOutcome(8100, good.lines[first].adjustments)}
    )
    with pytest.raises(ClaimsError, match=r"Line 1 \(99213\) does not balance"):
        create_next_payer_claim(primary, unbalanced, today=TODAY)
    with pytest.raises(ClaimsError, match="outcome does not balance"):
        create_next_payer_claim(primary, PayerOutcome(9000, PAID_ON, lines=good.lines), today=TODAY)
    with pytest.raises(ClaimsError, match="not an adjustment group"):
        create_next_payer_claim(
            primary, PayerOutcome(13750 - 5, PAID_ON, adjustments=(Adjustment("XX", "1", 5),))
        )
    assert Claim.objects.count() == 1

    create_next_payer_claim(primary, outcome(primary), today=TODAY)
    with pytest.raises(ClaimsError, match="already went on"):
        create_next_payer_claim(primary, outcome(primary), today=TODAY)
    assert Claim.objects.count() == 2


def test_a_claim_level_outcome_without_lines_dates_the_payer_loop(alpha: Practice) -> None:
    (primary,) = ready_claims(1, status=ClaimStatus.CLOSED)
    with_secondary([primary])
    claim = create_next_payer_claim(
        primary,
        PayerOutcome(10000, PAID_ON, adjustments=(Adjustment("CO", "45", 2750), Adjustment("PR", "1", 1000))),
        today=TODAY,
    )
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.READY)
    text = submit_ready_claims(now=NOW, zone=alpha).batches[0].content
    assert pyx12_validate(text).valid
    assert "~DTP*573*D8*20260320~" in text and "~CAS*CO*45*27.5~CAS*PR*1*10~AMT*D*100~" in text
    assert "SVD*" not in text


def test_claims_to_next_payers_load_in_six_queries(alpha: Practice, django_assert_num_queries: Any) -> None:
    primaries = ready_claims(3, status=ClaimStatus.ADJUDICATED)
    with_secondary(primaries)
    for p in primaries:
        create_next_payer_claim(p, outcome(p), today=TODAY)
    with django_assert_num_queries(6):  # claims, lines, prior claims, payers, providers, locations
        loaded = claims_to_send(Claim.objects.filter(prior_claim__isnull=False))
    assert [c.prior_payer.name for c in loaded if c.prior_payer] == ["Health Plan 00"] * 3
