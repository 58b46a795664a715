"""A claim to the secondary payer carries the primary's adjudication (loops 2320/2330A/2330B and
2430), validated by pyx12 and read by x12sdk; the writer refuses amounts that do not balance."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from practica.x12.claim837 import Adjustment, Claim, LineAdjudication, OtherPayer
from practica.x12.errors import X12WriteError
from practica.x12.write837 import write_837p
from tests.x12 import claims as build
from tests.x12.test_write837 import assert_valid, segments
from tests.x12.validators import x12sdk_claims

PAID_ON = dt.date(2026, 3, 20)


def x(amount: Decimal | None) -> str:
    """An amount as X12 writes it (no trailing zeros)."""
    assert amount is not None
    return format(amount.normalize(), "f")


def secondary(i: int = 4, *, dependent: bool = False, claim_level: bool = False) -> Claim:
    """Claim `i` to payer 2 as secondary, payer 1 having paid 80% of the allowed amount of each
    line, the rest contractual (CO-45) and coinsurance (PR-2)."""
    primary = build.claim(i, payer_index=1, dependent=dependent)
    lines = []
    for line in primary.lines:
        allowed = (line.charge * Decimal("0.8")).quantize(Decimal("0.01"))
        paid = (allowed * Decimal("0.8")).quantize(Decimal("0.01"))
        lines.append(
            dataclasses.replace(
                line,
                adjudications=(
                    LineAdjudication(
                        payer_id=primary.coverage.payer.payer_id,
                        paid=paid,
                        adjudication_date=PAID_ON,
                        adjustments=(
                            Adjustment("CO", "45", line.charge - allowed),
                            Adjustment("PR", "2", allowed - paid),
                        ),
                    ),
                ),
            )
        )
    paid_total = sum((a.adjudications[0].paid for a in lines), Decimal(0))
    other = OtherPayer(
        coverage=primary.coverage,
        relationship="19" if dependent else "18",
        paid=paid_total,
        remaining_patient_liability=sum(
            (a.adjudications[0].adjustments[1].amount for a in lines), Decimal(0)
        ),
        payer_claim_number="PRIMARY-ICN-1",
        adjudication_date=PAID_ON if claim_level else None,
    )
    coverage = dataclasses.replace(
        build.claim(i, payer_index=2, dependent=dependent).coverage, payer_responsibility="S"
    )
    return dataclasses.replace(primary, coverage=coverage, lines=tuple(lines), other_payers=(other,))


@pytest.mark.parametrize("dependent", [False, True])
def test_a_secondary_claim_with_line_adjudication_validates(dependent: bool) -> None:
    claim = secondary(dependent=dependent)
    text = write_837p(build.interchange(build.transaction(1, (claim,))))

    assert_valid(text)
    assert x12sdk_claims(text) == [(claim.patient_control_number, claim.total_charge, 2)]
    segs = segments(text)
    assert any(s.startswith("SBR*S*") for s in segs)
    other_sbr = "SBR*P*19*GRP0001******CI" if dependent else "SBR*P*18*GRP0001******CI"
    assert other_sbr in segs
    paid = claim.other_payers[0].paid
    assert f"AMT*D*{x(paid)}" in segs and "OI***Y***Y" in segs
    assert "NM1*PR*2*HEALTH PLAN 01*****PI*PAYER001" in segs and "REF*F8*PRIMARY-ICN-1" in segs
    first = claim.lines[0]
    adj = first.adjudications[0]
    assert (
        f"SVD*PAYER001*{x(adj.paid)}*HC:{first.procedure_code}{':25' if first.modifiers else ''}**1" in segs
    )
    co, pr = adj.adjustments
    assert f"CAS*CO*45*{x(co.amount)}" in segs and f"CAS*PR*2*{x(pr.amount)}" in segs
    assert segs.count("DTP*573*D8*20260320") == 2
    # 2320 sits after the claim's providers and before the first line; 2430 after each line's REF.
    assert segs.index(other_sbr) < segs.index("LX*1")
    assert (
        segs.index("REF*6R*PCN000004-1")
        < segs.index(
            f"SVD*PAYER001*{x(adj.paid)}*HC:{first.procedure_code}{':25' if first.modifiers else ''}**1"
        )
        < segs.index("LX*2")
    )


def test_claim_level_adjustments_and_date_without_line_detail_validate() -> None:
    primary = build.claim(5)
    other = OtherPayer(
        coverage=primary.coverage,
        adjustments=(
            Adjustment("CO", "45", Decimal("20.00")),
            Adjustment("PR", "1", Decimal("50.00")),
            Adjustment("PR", "3", Decimal("10.00")),
            Adjustment("PR", "1", Decimal("5.00")),  # summed with the first PR-1
        ),
        paid=primary.total_charge - Decimal("85.00"),
        adjudication_date=PAID_ON,
    )
    claim = dataclasses.replace(
        primary,
        coverage=dataclasses.replace(build.claim(5, payer_index=3).coverage, payer_responsibility="S"),
        other_payers=(other,),
    )
    text = write_837p(build.interchange(build.transaction(1, (claim,))))

    assert_valid(text)
    segs = segments(text)
    assert "CAS*CO*45*20" in segs and "CAS*PR*1*55**3*10" in segs
    assert "DTP*573*D8*20260320" in segs


def test_a_denied_line_paid_nothing_balances_with_its_adjustment() -> None:
    claim = secondary(claim_level=True)
    line = claim.lines[1]
    denied = dataclasses.replace(
        line,
        adjudications=(
            LineAdjudication(
                payer_id="PAYER001",
                paid=Decimal(0),
                adjudication_date=PAID_ON,
                adjustments=(Adjustment("CO", "97", line.charge),),
            ),
        ),
    )
    other = claim.other_payers[0]
    paid = claim.lines[0].adjudications[0].paid
    claim = dataclasses.replace(
        claim, lines=(claim.lines[0], denied), other_payers=(dataclasses.replace(other, paid=paid),)
    )
    text = write_837p(build.interchange(build.transaction(1, (claim,))))
    assert_valid(text)
    assert f"SVD*PAYER001*0*HC:{line.procedure_code}**1" in segments(text)


def test_unbalanced_or_unknown_adjudication_is_refused_naming_the_field() -> None:
    claim = secondary()
    other = claim.other_payers[0]
    assert other.paid is not None
    off_by_a_cent = dataclasses.replace(
        claim, other_payers=(dataclasses.replace(other, paid=other.paid + Decimal("0.01")),)
    )
    with pytest.raises(X12WriteError, match=r"2320 AMT\*D.*does not balance"):
        write_837p(build.interchange(build.transaction(1, (off_by_a_cent,))))

    line = claim.lines[0]
    adj = line.adjudications[0]
    bad_line = dataclasses.replace(line, adjudications=(dataclasses.replace(adj, paid=adj.paid + 1),))
    with pytest.raises(X12WriteError, match=r"SVD02 line 1 paid.*does not balance"):
        write_837p(
            build.interchange(
                build.transaction(1, (dataclasses.replace(claim, lines=(bad_line, *claim.lines[1:])),))
            )
        )

    stranger = dataclasses.replace(line, adjudications=(dataclasses.replace(adj, payer_id="NOBODY"),))
    with pytest.raises(X12WriteError, match=r"SVD01 line 1.*not one of the claim's other payers"):
        write_837p(
            build.interchange(
                build.transaction(1, (dataclasses.replace(claim, lines=(stranger, *claim.lines[1:])),))
            )
        )

    undated = dataclasses.replace(
        build.claim(6), other_payers=(OtherPayer(coverage=build.claim(6).coverage, paid=None),)
    )
    with pytest.raises(X12WriteError, match=r"DTP\*573"):
        write_837p(build.interchange(build.transaction(1, (undated,))))
