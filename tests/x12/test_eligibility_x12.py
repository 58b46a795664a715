"""Eligibility X12: 270 inquiries written (and checked by x12sdk, which nobody here wrote), 271
responses read and assessed, the implementation guide's own examples (badx12 0.2.2) among them."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from practica.x12.claim837 import InterchangeParty
from practica.x12.errors import X12WriteError
from practica.x12.inquiry270 import EligibilityInquiry, InformationReceiver, Person, read_270, write_270
from practica.x12.read271 import assess_271, read_271

SUBSCRIBER_271 = "X279-response-to-generic-request-by-clinic-for-patient-(subscriber)-eligibility.edi"
DEPENDENT_271 = "X279-response-to-generic-request-by-physician-for-patient-(dependent)-eligibility.edi"
ERROR_271 = "X279-error-response-from-payer-to-clinic-not-eligible-for-inquiries-with-payer.edi"
SUBSCRIBER_270 = "X279-generic-request-by-clinic-for-patient-(subscriber)-eligibility.edi"
DEPENDENT_270 = "X279-generic-request-by-physician-for-patient-(dependent)-eligibility.edi"


def inquiry(**changes: object) -> EligibilityInquiry:
    values: dict[str, object] = {
        "sender": InterchangeParty("PRACTICA"),
        "receiver": InterchangeParty("CLEARINGHOUSE"),
        "application_sender": "PRACTICA",
        "application_receiver": "CLEARINGHOUSE",
        "control_number": 42,
        "created": dt.datetime(2026, 11, 2, 9, 5),
        "reference": "ELG-42",
        "payer_name": "ACME HEALTH",
        "payer_id": "87726",
        "provider": InformationReceiver(npi="1234567893", last="RIVERSIDE FAMILY MEDICINE"),
        "subscriber": Person(
            last="RIVERA", first="ANA", birth_date=dt.date(1980, 4, 2), sex="F", member_id="W123456789"
        ),
        "trace_number": "ELG-42",
        "trace_originator": "1123456789",
        "service_types": ("30", "98"),
        "service_date": dt.date(2026, 11, 3),
    }
    values.update(changes)
    return EligibilityInquiry(**values)  # type: ignore[arg-type]


def x12sdk_read(text: str) -> list[object]:
    from x12sdk.io import X12ModelReader  # import calls load_dotenv(): tests only

    with X12ModelReader(text) as reader:
        return list(reader.models())


def response_271(
    eb: str, *, member: str = "NM1*IL*1*RIVERA*ANA****MI*W123456789~", extra: str = "", payer: str = ""
) -> str:
    body = [
        "BHT*0022*11*ELG-42*20261102*0905~",
        "HL*1**20*1~",
        "NM1*PR*2*ACME HEALTH*****PI*87726~",
        payer,
        "HL*2*1*21*1~",
        "NM1*1P*2*RIVERSIDE FAMILY MEDICINE*****XX*1234567893~",
        "HL*3*2*22*0~",
        "TRN*2*ELG-42*1123456789~",
        member,
        extra,
        eb,
    ]
    segments = "".join(body)
    count = segments.count("~") + 2
    return (
        "ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*PRACTICA       "
        "*261102*0905*^*00501*000000042*0*T*:~"
        "GS*HB*CLEARINGHOUSE*PRACTICA*20261102*0905*42*X*005010X279A1~"
        f"ST*271*0042*005010X279A1~{segments}SE*{count}*0042~GE*1*42~IEA*1*000000042~"
    )


# -- 270 ------------------------------------------------------------------------------------------


def test_a_subscriber_inquiry_passes_x12sdk_and_reads_back() -> None:
    q = inquiry()
    text = write_270(q)
    assert "EQ*30~EQ*98~" in text and "NM1*1P*2*RIVERSIDE FAMILY MEDICINE*****XX*1234567893~" in text
    assert "HL*3*2*22*0~TRN*1*ELG-42*1123456789~NM1*IL*1*RIVERA*ANA****MI*W123456789~" in text
    models = x12sdk_read(text)
    assert [type(m).__name__ for m in models] == ["EligibilityInquiry"]
    assert read_270(text) == q


def test_a_dependent_inquiry_puts_the_patient_under_the_subscriber() -> None:
    q = inquiry(
        subscriber=Person(last="RIVERA", first="LUIS", member_id="W123456789"),
        dependent=Person(last="RIVERA", first="SOFIA", birth_date=dt.date(2015, 6, 1), sex="F"),
    )
    text = write_270(q)
    assert "HL*3*2*22*1~NM1*IL*1*RIVERA*LUIS****MI*W123456789~HL*4*3*23*0~TRN*1*ELG-42" in text
    assert "NM1*03*1*RIVERA*SOFIA~DMG*D8*20150601*F~DTP*291*D8*20261103~EQ*30~EQ*98~" in text
    assert [type(m).__name__ for m in x12sdk_read(text)] == ["EligibilityInquiry"]
    assert read_270(text) == q


def test_x12sdk_would_catch_a_broken_inquiry() -> None:
    """The validator can fail: an EQ code outside the guide's list is refused by it."""
    text = write_270(inquiry(service_types=("30", "ZZ")))
    with pytest.raises(Exception, match="service_type_code"):
        x12sdk_read(text)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"provider": InformationReceiver(npi="12345", last="X")}, "NM109 provider NPI"),
        ({"subscriber": Person(last="RIVERA~", member_id="W1")}, "NM103 subscriber last name"),
        ({"subscriber": Person(last="RIVERA", member_id="")}, "NM109 member id"),
        ({"service_types": ()}, "EQ01"),
        ({"service_types": ("30", "office")}, "EQ01 service type"),
        ({"trace_originator": "123"}, "TRN03 trace originator"),
    ],
)
def test_the_writer_names_what_it_refuses(changes: dict[str, object], field: str) -> None:
    with pytest.raises(X12WriteError) as caught:
        write_270(inquiry(**changes))
    assert caught.value.field == field


def test_the_guides_270_examples_read(badx12_edi: Path) -> None:
    subscriber = read_270((badx12_edi / SUBSCRIBER_270).read_text())
    assert subscriber.subscriber.member_id == "11122333301" and subscriber.dependent is None
    assert subscriber.service_types == ("30",) and subscriber.service_date == dt.date(2006, 5, 1)
    assert subscriber.provider.npi == "2000035" and subscriber.payer_id == "842610001"
    dependent = read_270((badx12_edi / DEPENDENT_270).read_text())
    assert dependent.dependent is not None and dependent.dependent.first == "MARY"
    assert dependent.dependent.birth_date == dt.date(1978, 10, 14)


# -- 271: the guide's examples ------------------------------------------------------------------


@pytest.mark.parametrize("name", [SUBSCRIBER_271, DEPENDENT_271])
def test_the_guides_271_examples_give_what_a_reader_finds(badx12_edi: Path, name: str) -> None:
    """Both say: active, GOLD 123 PLAN, an office visit (98) costs a $10 copay in network and $30
    out of network, Marcus Jones is the primary care provider."""
    text = (badx12_edi / name).read_text()
    result = assess_271(text, ("30", "98"))
    assert result.status == "active"
    assert result.plan_name == "GOLD 123 PLAN"
    assert result.service_type == "98"
    assert result.in_network.copay_cents == 1000 and result.out_of_network.copay_cents == 3000
    assert result.in_network.deductible_cents is None and result.in_network.coinsurance_percent is None
    assert result.plan_begins == dt.date(2006, 1, 1)
    assert result.member_id == "123456789" and result.trace_number == "93175-012547"
    assert "Primary care provider: MARCUS JONES" in result.messages
    response = read_271(text)
    assert response.payer_name == "ABC COMPANY" and response.payer_id == "842610001"
    patient = response.members[-1]
    assert patient.first_name == ("MARY" if name == DEPENDENT_271 else "JOHN")
    assert patient.benefits[2].service_types == ("1", "33", "35", "47", "86", "88", "98", "AL", "MH", "UC")


def test_the_guides_error_example_says_what_to_do(badx12_edi: Path) -> None:
    result = assess_271((badx12_edi / ERROR_271).read_text(), ("30", "98"))
    assert result.status == "unverified"
    assert result.reason == (
        "Could not verify: the payer answered 50: provider not eligible for inquiries (about the provider)."
    )
    assert "enroll with the payer" in result.next_step
    assert result.rejections[0].follow_up == "resubmission not allowed"


def test_explain_x12_reads_270_and_271(badx12_edi: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("explain_x12", str(badx12_edi / SUBSCRIBER_271))
    printed = json.loads(capsys.readouterr().out)
    assert printed["kind"] == "271"
    assert printed["content"]["eligibility"]["status"] == "active"
    assert printed["content"]["eligibility"]["plan_name"] == "GOLD 123 PLAN"
    call_command("explain_x12", str(badx12_edi / DEPENDENT_270))
    printed = json.loads(capsys.readouterr().out)
    assert printed["kind"] == "270"
    assert printed["content"]["dependent"]["first"] == "MARY"


# -- 271: built here --------------------------------------------------------------------------------


def test_costs_for_the_visit_type_in_and_out_of_network() -> None:
    eb = (
        "EB*1*IND*30**PPO SILVER~"
        "EB*B*IND*98***27*25*****Y~"
        "EB*B*IND*30***27*40*****Y~"
        "EB*A*IND*98*****0.2****Y~"
        "EB*A*IND*98*****0.4****N~"
        "EB*C*IND*30***23*1500*****Y~"
        "EB*C*IND*30***29*1200.5*****Y~"
        "EB*C*FAM*30***23*3000*****Y~"
        "EB*G*IND*30***23*6000*****Y~"
        "EB*G*IND*30***29*4000*****Y~"
        "EB*C*IND*30***23*5000*****N~"
        "MSG*DEDUCTIBLE APPLIES TO OUT OF NETWORK~"
    )
    text = response_271(eb, extra="REF*6P*G-778*ACME EMPLOYEES~DTP*346*D8*20260101~")
    result = assess_271(text, ("98", "30"))
    assert result.status == "active" and result.plan_name == "PPO SILVER"
    assert result.group_number == "G-778" and result.group_name == "ACME EMPLOYEES"
    assert result.in_network.copay_cents == 2500
    assert result.in_network.coinsurance_percent == Decimal("20")
    assert result.in_network.deductible_cents == 150000
    assert result.in_network.deductible_remaining_cents == 120050
    assert result.in_network.out_of_pocket_cents == 600000
    assert result.in_network.out_of_pocket_remaining_cents == 400000
    assert result.out_of_network.coinsurance_percent == Decimal("40")
    assert result.out_of_network.deductible_cents == 500000
    assert result.messages == ("DEDUCTIBLE APPLIES TO OUT OF NETWORK",)
    # Asking about a general visit only gives the plan's general copay.
    assert assess_271(text, ("30",)).in_network.copay_cents == 4000


def test_inactive_coverage() -> None:
    result = assess_271(response_271("EB*6**30**GOLD PLAN~DTP*347*D8*20260930~"))
    assert result.status == "inactive"
    assert result.reason == "Inactive: the payer says the coverage is inactive."
    assert "current insurance" in result.next_step


@pytest.mark.parametrize(
    ("aaa", "status", "words"),
    [
        ("AAA*N**75*C~", "not_found", "Not found: the payer answered 75: subscriber not found."),
        ("AAA*N**72*C~", "not_found", "Not found: the payer answered 72: invalid or missing member id."),
        ("AAA*N**42*R~", "unverified", "Could not verify: the payer answered 42: the payer cannot respond"),
        (
            "AAA*N**Q9*C~",
            "unverified",
            "Could not verify: the payer answered Q9: a reason Practica does not know",
        ),
    ],
)
def test_rejections_of_the_subscriber(aaa: str, status: str, words: str) -> None:
    result = assess_271(response_271("", extra=aaa))
    assert result.status == status
    assert result.reason.startswith(words)
    assert result.next_step


def test_a_payer_that_cannot_answer_now() -> None:
    result = assess_271(response_271("", payer="AAA*Y**42*R~"))
    assert result.status == "unverified"
    assert "the payer cannot respond at this time (about the payer)" in result.reason
    assert "tried again" in result.next_step


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (response_271("EB*1**30~")[:-40], "Could not verify: the response is not a readable 271 (segment"),
        ("hello", "Could not verify: the response is not a readable 271 (line 1, segment 1: not X12"),
        (
            response_271("EB*Q7**30~"),
            "Could not verify: the response says neither active nor inactive (EB01 'Q7'",
        ),
        (
            response_271("EB*B**30***27*ten~"),
            "Could not verify: the response is not a readable 271 (segment EB",
        ),
        (response_271("EB*1**30~").replace("ST*271", "ST*270"), "this is a 270, not a 271"),
        (response_271("", member=""), "Could not verify: the response says neither active nor inactive"),
    ],
)
def test_malformed_responses_could_not_be_verified(text: str, reason: str) -> None:
    result = assess_271(text, ("30", "98"))
    assert result.status == "unverified"
    assert reason in result.reason
    assert result.next_step == "Call the payer to confirm coverage before the visit."
