"""Reading 837P files back into the dataclasses, and `manage.py explain_x12`."""

import dataclasses
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from practica.x12.errors import X12ParseError
from practica.x12.explain import explain
from practica.x12.read837 import read_837p
from practica.x12.write837 import write_837p
from tests.x12 import claims as build

FILES = Path(__file__).parent / "files"


def batch() -> build.Interchange:
    claims = [
        build.claim(i, payer_index=i % 3, dependent=i % 3 == 0, lines=1 + i % 4, diagnoses=1 + i % 6)
        for i in range(30)
    ]
    claims = [
        dataclasses.replace(c, diagnoses=tuple(d.replace(".", "") for d in c.diagnoses)) for c in claims
    ]
    return build.interchange(*build.batches_by_payer(claims))


def test_what_the_writer_writes_reads_back_equal() -> None:
    interchange = batch()
    text = write_837p(interchange)

    result = read_837p(text)

    assert result.interchanges == (interchange,)
    assert result.skipped == () and result.notes == ()


def test_the_implementation_guide_examples_read_without_crashing(badx12_edi: Path) -> None:
    for path in sorted(badx12_edi.glob("X222-*.edi")):
        text = path.read_text()
        result = read_837p(text)
        claims = [c for t in result.interchanges[0].transactions for c in t.claims]
        assert claims and all(c.lines for c in claims), path.name
        if path.name in ("X222-commercial-health-insurance.edi", "X222-encounter.edi"):
            assert result.skipped == ()
            assert write_837p(result.interchanges[0]) == text
    ambulance = read_837p((badx12_edi / "X222-ambulance.edi").read_text())
    assert {s.segment_id for s in ambulance.skipped} >= {"CR1"}  # what has no field is listed, not lost


def test_a_clm02_that_is_not_the_sum_of_the_lines_is_noted() -> None:
    text = write_837p(build.interchange(build.transaction(1, (build.claim(1),))))
    result = read_837p(re.sub(r"CLM\*PCN000001\*[0-9.]+\*", "CLM*PCN000001*999*", text))
    assert result.notes == ("claim 'PCN000001' (line 1): CLM02 says 999, its lines add up to 192.5",)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("~SV1*HC:", "~SVD*HC:"), "segment LX at line 1, segment 28: the service line has no SV1"),
        (("CLM*PCN000001*", "CLM*PCN000001*ABC"), "CLM02 (total charge) 'ABC"),
        (("DTP*472*D8*20260227", "DTP*472*D8*20261327"), "segment DTP at line 1"),
        (("HL*2*1*22*0", "HL*2*7*22*0"), "segment HL at line 1"),
    ],
)
def test_broken_837p_names_segment_and_line(change: tuple[str, str], expected: str) -> None:
    text = write_837p(build.interchange(build.transaction(1, (build.claim(1),))))
    broken = text.replace(*change, 1)
    with pytest.raises(X12ParseError) as caught:
        read_837p(broken)
    assert expected in str(caught.value)


def test_truncated_or_garbled_files_give_parse_errors_never_other_exceptions() -> None:
    text = write_837p(
        build.interchange(build.transaction(1, (build.claim(1), build.claim(2, dependent=True))))
    )
    refused = 0
    for cut in range(0, len(text), 37):
        for damaged in (text[:cut], text[:cut] + "*" + text[cut + 1 :], text[:cut] + "~" + text[cut + 1 :]):
            if damaged == text:
                continue
            try:
                explain(damaged)
            except X12ParseError as error:  # anything else fails the test
                assert f"line {error.line}" in str(error)
                refused += 1
    assert refused > len(text) // 37


def test_explain_x12_prints_json_for_each_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "claims.x12"
    path.write_text(write_837p(batch()))
    call_command("explain_x12", str(path))
    printed = json.loads(capsys.readouterr().out)
    assert printed["kind"] == "837P" and printed["version"] == "005010X222A1"
    claim = printed["content"]["interchanges"][0]["transactions"][0]["claims"][0]
    assert claim["patient_control_number"] == "PCN000000" and claim["total_charge"] == "125"
    assert claim["lines"][0]["control_number"] == "PCN000000-1"

    call_command("explain_x12", str(FILES / "999-rejected.x12"))
    printed = json.loads(capsys.readouterr().out)
    assert printed["kind"] == "999"
    assert printed["content"]["transaction_sets"][0]["outcome"] == "rejected"
    assert "segment SBR at position 35" in printed["content"]["transaction_sets"][0]["message"]

    call_command("explain_x12", str(FILES / "277ca-mixed.x12"))
    printed = json.loads(capsys.readouterr().out)
    assert printed["kind"] == "277CA"
    assert printed["content"]["claims"]["PCN000002"]["outcome"] == "rejected"


def test_explain_x12_refuses_what_it_cannot_read(tmp_path: Path, badx12_edi: Path) -> None:
    inquiry = badx12_edi / "X279-generic-request-by-clinic-for-patient-(subscriber)-eligibility.edi"
    claim_status = tmp_path / "276.x12"
    claim_status.write_text(inquiry.read_text().replace("ST*270*1234*005010X279A1", "ST*276*1234*005010X212"))
    with pytest.raises(
        CommandError, match=r"segment ST at line 1, segment 3: transaction set 276 005010X212"
    ):
        call_command("explain_x12", str(claim_status))
    broken = tmp_path / "broken.x12"
    broken.write_text((FILES / "999-rejected.x12").read_text().replace("~", "~\n").replace("IK5*R", "IK5*Q"))
    with pytest.raises(CommandError, match=r"broken.x12: segment IK5 at line 8, segment 8: IK501 'Q'"):
        call_command("explain_x12", str(broken))
    binary = tmp_path / "binary.x12"
    binary.write_bytes(b"ISA\xff\xfe")
    with pytest.raises(CommandError, match="not X12 text"):
        call_command("explain_x12", str(binary))
    with pytest.raises(CommandError, match="cannot read it"):
        call_command("explain_x12", str(tmp_path / "missing.x12"))


def test_explain_x12_reads_an_835(badx12_edi: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("explain_x12", str(badx12_edi / "X221-secondary-payments.edi"))
    printed = json.loads(capsys.readouterr().out)
    assert printed["kind"] == "835"
    remittance = printed["content"]["remittances"][0]
    assert remittance["trace_number"] == "0012524965" and remittance["total_paid_cents"] == 122200
    assert [c["status"] for c in remittance["claims"]] == ["processed as secondary"] * 2


def _as_read(claim: build.Claim) -> build.Claim:
    """What the 837P keeps of a secondary claim's other payer: its subscriber (2330A) has no birth
    date or sex, its payer (2330B) no secondary id."""
    others = []
    for other in claim.other_payers:
        cov = other.coverage
        subscriber = dataclasses.replace(cov.subscriber, birth_date=None, sex=None)
        payer = dataclasses.replace(cov.payer, billing_provider_secondary_id="")
        others.append(
            dataclasses.replace(other, coverage=dataclasses.replace(cov, subscriber=subscriber, payer=payer))
        )
    diagnoses = tuple(d.replace(".", "") for d in claim.diagnoses)
    return dataclasses.replace(claim, other_payers=tuple(others), diagnoses=diagnoses)


@pytest.mark.parametrize("dependent", [False, True])
def test_a_secondary_claims_2320_2330_and_2430_read_back_equal(dependent: bool) -> None:
    from practica.x12.claim837 import Adjustment, LineAdjudication
    from tests.x12.test_write837_secondary import PAID_ON, secondary

    claim = secondary(dependent=dependent, claim_level=True)
    other = claim.other_payers[0]
    # A claim-level adjustment, a line paid under another code and fewer units, and two reasons in
    # one group: each reads back as written.
    first = claim.lines[0]
    repriced = dataclasses.replace(
        first,
        adjudications=(
            LineAdjudication(
                payer_id=other.coverage.payer.payer_id,
                paid=Decimal("0"),
                adjudication_date=PAID_ON,
                adjustments=(
                    Adjustment("CO", "45", first.charge - Decimal("1.00")),
                    Adjustment("CO", "97", Decimal("1.00"), Decimal(1)),
                ),
                procedure_code="99212",
                modifiers=("25",),
                units=Decimal("0.5"),
                remaining_patient_liability=Decimal("0"),
            ),
        ),
    )
    assert other.paid is not None
    paid = other.paid - first.adjudications[0].paid
    claim = dataclasses.replace(
        claim,
        lines=(repriced, *claim.lines[1:]),
        other_payers=(
            dataclasses.replace(
                other, paid=paid - Decimal("2.50"), adjustments=(Adjustment("OA", "23", Decimal("2.50")),)
            ),
        ),
    )
    claim = dataclasses.replace(
        claim,
        other_payers=(dataclasses.replace(claim.other_payers[0], remaining_patient_liability=Decimal("0")),),
    )
    interchange = build.interchange(build.transaction(1, (claim,)))
    text = write_837p(interchange)

    result = read_837p(text)

    (read,) = result.interchanges[0].transactions[0].claims
    assert result.skipped == ()
    assert read.other_payers == _as_read(claim).other_payers
    assert read.lines == claim.lines
    assert read == _as_read(claim)


def test_explain_x12_describes_the_other_payer_loops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.x12.test_write837_secondary import secondary

    claim = secondary()
    path = tmp_path / "secondary.x12"
    path.write_text(write_837p(build.interchange(build.transaction(1, (claim,)))))
    call_command("explain_x12", str(path))
    printed = json.loads(capsys.readouterr().out)
    read = printed["content"]["interchanges"][0]["transactions"][0]["claims"][0]
    (other,) = read["other_payers"]
    sent = claim.other_payers[0]
    assert sent.paid is not None
    assert other["coverage"]["payer"]["payer_id"] == sent.coverage.payer.payer_id
    assert other["payer_claim_number"] == "PRIMARY-ICN-1" and other["paid"] == str(sent.paid.normalize())
    line = read["lines"][0]["adjudications"][0]
    assert [(a["group"], a["reason"]) for a in line["adjustments"]] == [("CO", "45"), ("PR", "2")]
    assert line["adjudication_date"] == "2026-03-20"
    assert printed["content"]["skipped"] == []


def test_an_other_payer_loop_without_its_payer_names_the_segment() -> None:
    from tests.x12.test_write837_secondary import secondary

    text = write_837p(build.interchange(build.transaction(1, (secondary(),))))
    broken = text.replace("~NM1*PR*2*HEALTH PLAN 01*****PI*PAYER001~", "~NTE*ADD*GONE~", 1)
    assert broken != text
    with pytest.raises(X12ParseError, match=r"SBR.*lacks its subscriber \(NM1\*IL\) or payer \(NM1\*PR\)"):
        read_837p(broken)
