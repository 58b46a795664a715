"""The 837P writer against pyx12 (the implementation guide's maps) and x12sdk, and its refusals."""

import dataclasses
import datetime as dt
import re
from decimal import Decimal

import pytest

from practica.x12.claim837 import Claim, Drug, Name, Separators, ServiceLine
from practica.x12.errors import X12WriteError
from practica.x12.write837 import write_837p
from tests.x12 import claims as build
from tests.x12.validators import pyx12_validate, x12sdk_claims


def assert_valid(text: str) -> None:
    result = pyx12_validate(text)
    assert result.valid, "pyx12 refused the 837P:\n" + "\n".join(result.log)


def segments(text: str) -> list[str]:
    return text.rstrip("~").split("~")


def test_single_claim_validates_and_reads_back_in_x12sdk() -> None:
    claim = build.claim(1)
    text = write_837p(build.interchange(build.transaction(1, (claim,))))

    assert_valid(text)
    assert x12sdk_claims(text) == [("PCN000001", claim.total_charge, 2)]
    segs = segments(text)
    assert "SBR*P*18*GRP0001******CI" in segs
    assert "REF*6R*PCN000001-1" in segs and "REF*6R*PCN000001-2" in segs
    assert "REF*G1*AUTH77" not in segs  # claim 1 has no prior authorization
    assert segs[-3:] == ["SE*" + str(len(segs) - 4) + "*0001", "GE*1*101", "IEA*1*000000101"]


def test_two_hundred_claims_for_five_payers_one_transaction_set_each() -> None:
    claims = [
        build.claim(i, payer_index=i % 5, dependent=i % 3 == 0, lines=1 + i % 4, diagnoses=1 + i % 12)
        for i in range(200)
    ]
    transactions = build.batches_by_payer(claims)
    text = write_837p(build.interchange(*transactions))

    assert_valid(text)
    read = x12sdk_claims(text)
    assert sorted(read) == sorted((c.patient_control_number, c.total_charge, len(c.lines)) for c in claims)
    segs = segments(text)
    assert sum(s.startswith("ST*837*") for s in segs) == 5
    assert sum(s.startswith("NM1*PR*") for s in segs) == 200  # one subscriber loop per member
    assert sum(s == "PAT*19" for s in segs) == 67
    assert "HI*ABK:E119*ABF:I10" in segs or any(s.startswith("HI*ABK:") for s in segs)


def test_dependents_of_one_subscriber_share_the_subscriber_loop() -> None:
    first = build.claim(7, dependent=True)
    second = dataclasses.replace(first, patient_control_number="PCN-SECOND")
    own = dataclasses.replace(
        build.claim(7), coverage=dataclasses.replace(first.coverage, subscriber=build.subscriber(7))
    )
    text = write_837p(build.interchange(build.transaction(1, (first, second, own))))

    assert_valid(text)
    hl = [s for s in segments(text) if s.startswith("HL*")]
    assert hl == ["HL*1**20*1", "HL*2*1*22*1", "HL*3*2*23*0", "HL*4*1*22*0"]


@pytest.mark.parametrize("frequency", ["7", "8"])
def test_replacement_and_void_carry_the_original_claim_number(frequency: str) -> None:
    claim = build.claim(3, frequency=frequency, original_claim_number="PAYERCLAIM998877")  # type: ignore[arg-type]
    text = write_837p(build.interchange(build.transaction(9, (claim,))))

    assert_valid(text)
    segs = segments(text)
    assert f"CLM*PCN000003*{claim.total_charge}***11:B:{frequency}*Y*A*Y*Y" in segs
    assert "REF*F8*PAYERCLAIM998877" in segs
    assert x12sdk_claims(text) == [("PCN000003", claim.total_charge, 2)]


def test_amounts_units_dates_and_line_details() -> None:
    line = ServiceLine(
        "J1885",
        Decimal("40.50"),
        dt.date(2026, 2, 1),
        diagnosis_pointers=(2, 1),
        modifiers=("RT", "59"),
        units=Decimal("2.5"),
        place_of_service="22",
        service_date_end=dt.date(2026, 2, 3),
        control_number="L-1",
        drug=Drug("00409123401", Decimal(3), "ML"),
    )
    claim = dataclasses.replace(
        build.claim(2), lines=(line,), patient_paid=Decimal("10.00"), note="SEE NOTES"
    )
    text = write_837p(build.interchange(build.transaction(1, (claim,))))

    assert_valid(text)
    segs = segments(text)
    assert "SV1*HC:J1885:RT:59*40.5*UN*2.5*22**2:1" in segs
    assert "DTP*472*RD8*20260201-20260203" in segs
    assert segs.index("LIN**N4*00409123401") == segs.index("REF*6R*L-1") + 1
    assert "CTP****3*ML" in segs and "AMT*F5*10" in segs and "NTE*ADD*SEE NOTES" in segs


def test_line_breaks_and_other_separators() -> None:
    ic = dataclasses.replace(
        build.interchange(build.transaction(1, (build.claim(4),))),
        separators=Separators(element="|", component=">", repetition="^", segment="\\", line_break=True),
    )
    text = write_837p(ic)

    assert_valid(text)
    assert text.splitlines()[1].startswith("GS|HC|") and text.endswith("\\\n")


def refusal(claim: Claim) -> str:
    with pytest.raises(X12WriteError) as caught:
        write_837p(build.interchange(build.transaction(1, (claim,))))
    return str(caught.value)


def test_text_with_a_delimiter_is_refused_naming_claim_and_field() -> None:
    claim = build.claim(5)
    patient_name = dataclasses.replace(claim.coverage.subscriber, name=Name("O*BRIEN", "PAT"))
    message = refusal(
        dataclasses.replace(claim, coverage=dataclasses.replace(claim.coverage, subscriber=patient_name))
    )
    assert message.startswith("subscriber 'MBR0000005': NM103 subscriber last name: 'O*BRIEN' contains '*'")
    assert "element separator" in message

    message = refusal(dataclasses.replace(claim, note="PAIN~SWELLING"))
    assert "claim 'PCN000005': NTE02 claim note" in message and "segment terminator" in message

    message = refusal(dataclasses.replace(claim, prior_authorization="A:1"))
    assert "REF*G1 prior authorization" in message and "component separator" in message

    message = refusal(dataclasses.replace(claim, note="JOSÉ"))
    assert "outside printable ASCII" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"frequency": "7"}, "REF*F8: a frequency 7 claim needs the payer's original claim number"),
        ({"frequency": "8", "original_claim_number": "  "}, "frequency 8 claim needs"),
        ({"original_claim_number": "X1"}, "an original claim (frequency 1) sends no original claim number"),
        ({"diagnoses": tuple(f"A0{i}" for i in range(13))}, "1 to 12 diagnoses, not 13"),
        ({"diagnoses": ()}, "1 to 12 diagnoses, not 0"),
        ({"lines": ()}, "1 to 50 service lines, not 0"),
        ({"place_of_service": "1"}, "CLM05-1 place of service: '1' is not a two-digit"),
        ({"patient_control_number": "P" * 39}, "must be 1 to 38 characters long"),
        ({"related_causes": ("AA",), "accident_date": dt.date(2026, 1, 1)}, "auto accident needs the state"),
    ],
)
def test_claims_x12_cannot_carry_are_refused(change: dict[str, object], expected: str) -> None:
    assert expected in refusal(dataclasses.replace(build.claim(6), **change))  # type: ignore[arg-type]


def test_line_refusals_name_the_line() -> None:
    claim = build.claim(6)
    bad_pointer = dataclasses.replace(claim.lines[1], diagnosis_pointers=(3,))
    message = refusal(dataclasses.replace(claim, lines=(claim.lines[0], bad_pointer)))
    assert "SV107 line 2 diagnosis pointers: pointer 3 is not one of the claim's 2 diagnoses" in message

    negative = dataclasses.replace(claim.lines[0], charge=Decimal("-1"))
    assert "SV102 line 1 charge" in refusal(dataclasses.replace(claim, lines=(negative,)))
    bad_npi = dataclasses.replace(claim.billing_provider, npi="12345")
    assert "NPI: '12345' is not ten digits" in refusal(dataclasses.replace(claim, billing_provider=bad_npi))


def test_separators_must_be_distinct_and_control_numbers_in_range() -> None:
    ic = build.interchange(build.transaction(1, (build.claim(1),)))
    with pytest.raises(X12WriteError, match="separators must be distinct"):
        write_837p(dataclasses.replace(ic, separators=Separators(component="*")))
    with pytest.raises(X12WriteError, match="ISA13 control number"):
        write_837p(dataclasses.replace(ic, control_number=1_000_000_000))
    with pytest.raises(X12WriteError, match="repeat within the group"):
        write_837p(dataclasses.replace(ic, transactions=ic.transactions * 2))


def test_x12sdk_would_notice_a_total_that_is_not_the_sum_of_the_lines() -> None:
    # The writer sums CLM02 itself; this shows the second validator checks it (it is no rubber stamp).
    text = write_837p(build.interchange(build.transaction(1, (build.claim(1),))))
    broken = re.sub(r"CLM\*PCN000001\*[0-9.]+", "CLM*PCN000001*999", text)
    with pytest.raises(ValueError, match="Claim Amount 999 != Service Line Total"):
        x12sdk_claims(broken)
