"""The 999 and 277CA readers, and the tokenizer's errors for malformed input."""

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from practica.x12.ack277ca import read_277ca
from practica.x12.ack999 import read_999
from practica.x12.claim837 import Separators
from practica.x12.errors import X12ParseError
from practica.x12.read837 import claims_at
from practica.x12.tokens import read_interchanges, tokenize
from practica.x12.write837 import write_837p
from tests.x12 import claims as build
from tests.x12.validators import pyx12_validate

FILES = Path(__file__).parent / "files"


def two_claim_837() -> str:
    return write_837p(
        build.interchange(build.transaction(1, (build.claim(1), build.claim(2, payer_index=2))))
    )


def test_pyx12s_999_for_a_broken_837p_rejects_and_names_its_ik3_segment() -> None:
    broken = two_claim_837().replace("SBR*P*18*GRP0002******CI", "SBR*P*18*GRP0002******Q9")
    result = pyx12_validate(broken)
    assert not result.valid
    ik3 = next(s.strip() for s in result.ack.split("~") if s.strip().startswith("IK3*"))

    ack = read_999(result.ack)

    group = ack.group(101)
    assert group is not None and group.outcome == "rejected" and group.accepted == 0
    assert group.outcome_of(1) == "rejected"
    transaction = group.find("0001")
    assert transaction is not None and transaction.status == "R"
    error = transaction.segment_errors[0]
    assert ik3.split("*")[1:3] == [error.segment_id, str(error.position)]
    assert (error.segment_id, error.elements[0].position, error.elements[0].value) == ("SBR", 9, "Q9")
    # the position pyx12 names is the broken segment's place in the transaction set (ST is 1)
    body = broken.split("~")
    st = next(i for i, s in enumerate(body) if s.startswith("ST*"))
    assert body[st + error.position - 1] == "SBR*P*18*GRP0002******Q9"
    # the claims app names the claims the segment belongs to: the subscriber loop holds claim 2 only
    assert claims_at(broken, transaction.control_number, error.position) == ("PCN000002",)
    assert claims_at(broken, 1, 1) == ("PCN000001", "PCN000002")  # ST: all of them
    assert claims_at(broken, 1, error.position + 3) == ("PCN000002",)
    assert claims_at(broken, 2, error.position) == ()
    first_claim_line = next(i for i, s in enumerate(body) if s == "LX*1") - st + 1
    assert claims_at(broken, 1, first_claim_line) == ("PCN000001",)
    assert (
        "segment SBR at position" in transaction.message
        and "SBR09 'Q9': invalid code value" in transaction.message
    )


def test_pyx12s_999_for_a_valid_837p_accepts() -> None:
    ack = read_999(pyx12_validate(two_claim_837()).ack)
    group = ack.group(101)
    assert group is not None and group.outcome == "accepted" and group.outcome_of(1) == "accepted"
    assert ack.group(102) is None


def test_277ca_maps_status_categories_to_claims() -> None:
    text = (FILES / "277ca-mixed.x12").read_text()
    assert pyx12_validate(text).valid  # the sample itself is a valid X214

    ack = read_277ca(text)

    claims = ack.by_patient_control_number()
    assert {pcn: c.outcome for pcn, c in claims.items()} == {
        "PCN000001": "accepted",
        "PCN000002": "rejected",
        "PCN000003": "rejected",
    }
    assert claims["PCN000001"].payer_claim_control_number == "2026062000123"
    assert claims["PCN000002"].payer_claim_control_number == ""
    assert claims["PCN000002"].message.startswith(
        "A7 rejected for invalid information (status 562, entity 85)"
    )
    assert claims["PCN000001"].total_charge == Decimal(125)
    assert claims["PCN000001"].billing_provider_npi == "1234567893"
    line = claims["PCN000003"].lines[0]
    assert (line.control_number, line.outcome, line.procedure) == ("PCN000003-1", "rejected", "36415")
    receiver = ack.levels[0]
    assert (receiver.accepted_claims, receiver.rejected_claims) == (2, 1)
    assert read_277ca(text) == ack  # reading again gives the same


def test_277ca_pending_and_forwarded_categories() -> None:
    text = (FILES / "277ca-mixed.x12").read_text()
    pending = read_277ca(text.replace("STC*A2:20:PR", "STC*P1:20:PR")).by_patient_control_number()
    assert pending["PCN000001"].outcome == "pending"
    forwarded = read_277ca(text.replace("STC*A2:20:PR", "STC*A0:16:PR")).by_patient_control_number()
    assert forwarded["PCN000001"].outcome == "accepted"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda t: "hello", "not X12: the file does not begin with an ISA segment"),
        (lambda t: t[:60], "ISA is cut short"),
        (
            lambda t: t.replace("SE*8*0001", "SE*9*0001"),
            "segment SE at line 1, segment 10: SE01 says 9, but there are 8",
        ),
        (lambda t: t.replace("GE*1*", "GE*2*"), "segment GE at line 1"),
        (lambda t: t.replace("IEA*1*000000555", "IEA*1*000000556"), "IEA02 '000000556' does not match"),
        (lambda t: t.replace("IK5*R*5~", ""), "segment SE at line 1"),
        (lambda t: t.replace("~IK3", "~~IK3"), "empty segment"),
        (lambda t: t.replace("~AK9", "AK9"), "SE01 says 8, but there are 7 segments"),
        (
            lambda t: t.replace("IK3*SBR*35", "IK3*SBR*X5"),
            "segment IK3 at line 1, segment 6: IK302 (segment position)",
        ),
        (lambda t: t.replace("IK5*R*5", "IK5*Q*5"), "IK501 'Q' is not a transaction set acknowledgment code"),
        (lambda t: t.replace("~IEA*1*000000555~", "~"), "the file ends without IEA"),
        (lambda t: t.replace("AK2*837", "IK3*837"), "segment IK3"),
    ],
)
def test_malformed_999_is_an_error_naming_segment_and_line(
    mutate: Callable[[str], str], expected: str
) -> None:
    good = (FILES / "999-rejected.x12").read_text()
    read_999(good)
    with pytest.raises(X12ParseError) as caught:
        read_999(mutate(good))
    assert expected in str(caught.value)


def test_lines_are_counted_when_segments_are_on_lines_of_their_own() -> None:
    text = (FILES / "999-rejected.x12").read_text().replace("~", "~\n").replace("IK5*R*5", "IK5*Z*5")
    with pytest.raises(X12ParseError) as caught:
        read_999(text)
    assert (caught.value.segment_id, caught.value.line, caught.value.position) == ("IK5", 8, 8)
    assert str(caught.value).startswith("segment IK5 at line 8, segment 8:")


def test_a_999_reader_refuses_other_transaction_sets() -> None:
    with pytest.raises(X12ParseError, match="a 837 transaction set, not a 999"):
        read_999(two_claim_837())
    with pytest.raises(X12ParseError, match="not a 277"):
        read_277ca(two_claim_837())


def test_tokenizer_reads_delimiters_from_isa() -> None:
    delimiters, segments = tokenize((FILES / "999-rejected.x12").read_text())
    assert (delimiters.element, delimiters.component, delimiters.segment) == ("*", ":", "~")
    assert [s.id for s in segments][:3] == ["ISA", "GS", "ST"]
    assert segments[5].element(1) == "SBR" and segments[6].components(1) == ("9",)

    ic = dataclasses.replace(
        build.interchange(build.transaction(1, (build.claim(1),))),
        separators=Separators(element="|", component=">", repetition="^", segment="\\", line_break=True),
    )
    (interchange,) = read_interchanges(write_837p(ic))
    assert interchange.delimiters.component == ">" and interchange.groups[0].transactions[0].code == "837"
    assert interchange.groups[0].transactions[0].segments[1].line == 4  # one segment a line


def test_parsing_the_implementation_guide_examples_does_not_crash(badx12_edi: Path) -> None:
    files = sorted(badx12_edi.glob("*.edi"))
    assert len(files) == 28
    for path in files:
        interchanges = read_interchanges(path.read_text())
        assert interchanges[0].groups[0].transactions[0].code in ("837", "835", "270", "271")
    for path in sorted((badx12_edi.parent / "errors").glob("*.edi")):
        try:
            read_interchanges(path.read_text())
        except X12ParseError as error:
            assert "segment" in str(error) or "X12" in str(error)
