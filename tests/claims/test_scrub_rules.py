"""Every scrub rule, one claim at a time, in memory: the clean claim passes every rule; for each
rule a change that breaks it (the rule reports it) and a change that comes close without breaking
it (the rule stays quiet). A rule added without both is caught by the first test."""

import datetime
import re
from collections.abc import Callable
from uuid import UUID, uuid4

import pytest

from practica.claims.models import Severity
from practica.claims.scrubber import RULES, ClaimContext, evaluate
from practica.claims.scrubber.context import SiblingClaim
from practica.insurance.models import Payer
from practica.scheduling.models import Provider
from practica.scheduling.validators import with_check_digit
from tests.claims.scrub_contexts import DOS, TODAY, clean_context

# A change returns what it changed (so several can sit in one lambda's tuple).
Change = Callable[[ClaimContext], object]
GOOD_NPI = with_check_digit("155555555")
BAD_NPI = GOOD_NPI[:9] + str((int(GOOD_NPI[9]) + 1) % 10)


def put(obj: object, **values: object) -> object:
    for name, value in values.items():
        setattr(obj, name, value)
    return obj


def lines(c: ClaimContext, **values: object) -> object:
    for line in c.lines:
        put(line, **values)
    return c.lines


def first_line(c: ClaimContext, **values: object) -> object:
    return put(c.lines[0], **values)


def diagnoses(c: ClaimContext, *codes: str) -> object:
    return put(c.claim, diagnosis_codes=list(codes))


def outside_referrer(c: ClaimContext, npi: str = GOOD_NPI, last: str = "Brown", first: str = "Bo") -> object:
    return put(c.encounter, referring_npi=npi, referring_last_name=last, referring_first_name=first)


def other_subscriber(c: ClaimContext, relationship: str = "01", **values: object) -> object:
    fields: dict[str, object] = {
        "relationship": relationship, "subscriber_last_name": "Lopez", "subscriber_first_name": "Juan",
        "subscriber_date_of_birth": datetime.date(1978, 1, 2), "subscriber_address_line1": "12 Oak Ave",
        "subscriber_city": "Springfield", "subscriber_state": "IL", "subscriber_postal_code": "62704",
    }  # fmt: skip
    return put(c.coverage, **(fields | values))


def sibling(c: ClaimContext, codes: set[str], replaces: UUID | None = None) -> object:
    """Another live claim for the same visit and payer, billing these procedure codes."""
    other = SiblingClaim(uuid4(), "PCN0002", "7" if replaces else "1", replaces, frozenset(codes))
    c.reference.claims_by_visit.setdefault(c.visit_key(), []).append(other)
    return other


def telehealth(c: ClaimContext, place: str, modifiers: list[str]) -> object:
    c.claim.place_of_service = place
    return lines(c, place_of_service=place, modifiers=modifiers)


BREAKS: dict[str, Change] = {
    "CLM-BIL-001": lambda c: put(c.reference, billing=None),
    "CLM-NPI-001": lambda c: put(c.billing, group_npi=BAD_NPI),
    "CLM-EIN-001": lambda c: put(c.billing, ein="071234567"),  # 07 is no IRS prefix
    "CLM-TAX-001": lambda c: (put(c.payer, requires_taxonomy=True), put(c.billing, taxonomy="")),
    "CLM-ADR-001": lambda c: put(c.billing, address_line1="P.O. Box 123"),
    "CLM-ADR-002": lambda c: put(c.billing, postal_code="62704"),
    "CLM-ADR-003": lambda c: put(c.billing, state="XX"),
    "CLM-NPI-002": lambda c: put(c.rendering, npi=BAD_NPI),
    "CLM-PRV-001": lambda c: put(c.rendering, first_name=""),
    "CLM-TAX-002": lambda c: (put(c.payer, requires_taxonomy=True), put(c.rendering, taxonomy="")),
    "CLM-PRV-002": lambda c: put(c.rendering, is_active=False),
    "CLM-REF-001": lambda c: put(c.payer, requires_referring_provider=True),
    "CLM-NPI-003": lambda c: outside_referrer(c, npi=BAD_NPI),
    "CLM-REF-002": lambda c: outside_referrer(c, last="", first=""),
    "CLM-PAT-001": lambda c: put(c.patient, last_name="Lopez2"),
    "CLM-PAT-002": lambda c: put(c.patient, sex="U"),
    "CLM-PAT-003": lambda c: put(c, profile=None),
    "CLM-PAT-004": lambda c: put(c.profile, state="Illinois"),
    "CLM-PAT-005": lambda c: put(c.profile, postal_code="6270"),
    "CLM-DOB-001": lambda c: put(c.patient, date_of_birth=DOS + datetime.timedelta(days=1)),
    "CLM-DOS-001": lambda c: first_line(c, date_of_service=TODAY + datetime.timedelta(days=1)),
    "CLM-COV-001": lambda c: put(c.coverage, effective_to=DOS - datetime.timedelta(days=1)),
    "CLM-COV-002": lambda c: put(c.coverage, payer=Payer(name="Other")),
    "CLM-PAY-001": lambda c: put(c.payer, payer_ids={}),
    "CLM-PAY-002": lambda c: put(c.payer, claim_filing_indicator="09"),
    "CLM-PAY-003": lambda c: put(c.payer, is_active=False),
    "CLM-MEM-001": lambda c: put(c.coverage, member_id="W123 456"),
    "CLM-MEM-002": lambda c: put(c.payer, claim_filing_indicator="MB"),  # W123456789 is no MBI
    "CLM-SUB-001": lambda c: other_subscriber(c, subscriber_first_name=""),
    "CLM-SUB-002": lambda c: other_subscriber(c, "19", subscriber_date_of_birth=None),
    "CLM-SUB-003": lambda c: other_subscriber(c, subscriber_address_line1=""),
    "CLM-SUB-004": lambda c: put(c.coverage, subscriber_last_name="Smith"),
    "CLM-SUB-005": lambda c: (put(c.payer, claim_filing_indicator="MB"), other_subscriber(c)),
    "CLM-TFL-001": lambda c: put(c.reference, today=DOS + datetime.timedelta(days=72)),  # 80 % of 90
    "CLM-TFL-002": lambda c: put(c.reference, today=DOS + datetime.timedelta(days=91)),
    "CLM-AUT-001": lambda c: put(c.payer, requires_prior_authorization=True),
    "CLM-FRQ-001": lambda c: put(c.claim, frequency_code="7", original_claim_number=""),
    "CLM-DUP-001": lambda c: sibling(c, {"99213", "J1100"}),
    "CLM-DX-001": lambda c: diagnoses(c),
    "CLM-DX-002": lambda c: diagnoses(c, *[f"E11.{n}" for n in range(13)]),
    "CLM-DX-003": lambda c: diagnoses(c, "E11.9", "Q99.99"),
    "CLM-DX-004": lambda c: diagnoses(c, "E11", "I10"),
    "CLM-DX-005": lambda c: diagnoses(c, "W19.XXXA", "S72.001A"),
    "CLM-DX-006": lambda c: diagnoses(c, "E11.9", "E119"),
    "CLM-DX-007": lambda c: first_line(c, diagnosis_pointers=[1]),
    "CLM-LIN-001": lambda c: put(c, lines=[]),
    "CLM-LIN-002": lambda c: first_line(c, procedure_code="9921"),
    "CLM-LIN-003": lambda c: first_line(c, procedure_code="99214"),
    "CLM-LIN-004": lambda c: put(c.reference.procedures["99213"], is_active=False),
    "CLM-MOD-001": lambda c: first_line(c, modifiers=["2"]),
    "CLM-MOD-002": lambda c: first_line(c, modifiers=["25", "25"]),
    "CLM-PTR-001": lambda c: first_line(c, diagnosis_pointers=[]),
    "CLM-PTR-002": lambda c: first_line(c, diagnosis_pointers=[1, 2, 3]),
    "CLM-PTR-003": lambda c: first_line(c, diagnosis_pointers=[1, 2, 1]),
    "CLM-UNT-001": lambda c: first_line(c, units=0),
    "CLM-UNT-002": lambda c: first_line(c, units=100),
    "CLM-CHG-001": lambda c: first_line(c, charge_cents=0),
    "CLM-CHG-002": lambda c: put(c.claim, total_charge_cents=16999),
    "CLM-POS-001": lambda c: put(c.claim, place_of_service="88"),
    "CLM-POS-002": lambda c: first_line(c, place_of_service="88"),
    "CLM-TEL-001": lambda c: first_line(c, modifiers=["95"]),  # at the office (11)
    "CLM-TEL-002": lambda c: telehealth(c, "10", []),
    "CLM-X12-001": lambda c: put(c.coverage, group_number="GRP*1"),
}

BENDS: dict[str, Change] = {
    "CLM-BIL-001": lambda c: put(c.billing, pay_to_address_line1="PO Box 9", pay_to_city="Springfield"),
    "CLM-NPI-001": lambda c: put(c.billing, group_npi=GOOD_NPI),
    "CLM-EIN-001": lambda c: put(c.billing, ein="941234567"),
    "CLM-TAX-001": lambda c: put(c.payer, requires_taxonomy=True),
    "CLM-ADR-001": lambda c: put(c.billing, address_line1="100 Box Elder Rd", address_line2="Suite 4"),
    "CLM-ADR-002": lambda c: put(c.billing, postal_code="627040001"),
    "CLM-ADR-003": lambda c: put(c.billing, state="PR"),
    "CLM-NPI-002": lambda c: put(c.rendering, npi=GOOD_NPI),
    "CLM-PRV-001": lambda c: put(c.rendering, first_name="Mary-Jo", display_name=""),
    "CLM-TAX-002": lambda c: put(c.payer, requires_taxonomy=True),
    "CLM-PRV-002": lambda c: put(c.rendering, credentials="MD"),
    "CLM-REF-001": lambda c: (put(c.payer, requires_referring_provider=True), outside_referrer(c)),
    "CLM-NPI-003": lambda c: put(c, referring=Provider(first_name="Bo", last_name="Brown", npi=GOOD_NPI)),
    "CLM-REF-002": lambda c: outside_referrer(c),
    "CLM-PAT-001": lambda c: put(c.patient, last_name="O'Brien-Smith", first_name="Ana Maria"),
    "CLM-PAT-002": lambda c: put(c.patient, sex="M"),
    "CLM-PAT-003": lambda c: put(c.profile, address_line2=""),
    "CLM-PAT-004": lambda c: put(c.profile, state="PR"),
    "CLM-PAT-005": lambda c: put(c.profile, postal_code="62704-1234"),
    "CLM-DOB-001": lambda c: put(c.patient, date_of_birth=DOS),  # a newborn
    "CLM-DOS-001": lambda c: put(c.reference, today=DOS),
    "CLM-COV-001": lambda c: put(c.coverage, effective_from=DOS, effective_to=DOS),
    "CLM-COV-002": lambda c: put(c.coverage, group_number="G1"),
    "CLM-PAY-001": lambda c: put(c.payer, payer_ids={"folder": "SX123", "other": ""}),
    "CLM-PAY-002": lambda c: put(c.payer, claim_filing_indicator="MC"),
    "CLM-PAY-003": lambda c: put(c.payer, requires_taxonomy=True),
    "CLM-MEM-001": lambda c: put(c.coverage, member_id="W123-456"),
    "CLM-MEM-002": lambda c: (
        put(c.payer, claim_filing_indicator="MB"),
        put(c.coverage, member_id="1EG4TE5MK73"),
    ),
    "CLM-SUB-001": lambda c: other_subscriber(c),
    "CLM-SUB-002": lambda c: other_subscriber(c, "19"),
    "CLM-SUB-003": lambda c: other_subscriber(c, subscriber_address_line2=""),
    "CLM-SUB-004": lambda c: put(c.coverage, subscriber_last_name="LOPEZ"),
    "CLM-SUB-005": lambda c: other_subscriber(c, "19"),
    "CLM-TFL-001": lambda c: put(c.reference, today=DOS + datetime.timedelta(days=71)),
    "CLM-TFL-002": lambda c: put(c.reference, today=DOS + datetime.timedelta(days=90)),
    "CLM-AUT-001": lambda c: (
        put(c.payer, requires_prior_authorization=True),
        put(c.claim, prior_authorization_number="A1"),
    ),
    "CLM-FRQ-001": lambda c: put(c.claim, frequency_code="7", original_claim_number="ICN123"),
    "CLM-DUP-001": lambda c: (sibling(c, {"J1100"}), sibling(c, {"99213"}, replaces=c.claim.pk)),
    "CLM-DX-001": lambda c: (diagnoses(c, "I10"), lines(c, diagnosis_pointers=[1])),
    "CLM-DX-002": lambda c: diagnoses(c, *[f"E11.{n}" for n in range(12)]),
    "CLM-DX-003": lambda c: diagnoses(c, "E119", "I10"),
    "CLM-DX-004": lambda c: diagnoses(c, "E11.9", "I10"),
    "CLM-DX-005": lambda c: diagnoses(c, "S72.001A", "W19.XXXA"),
    "CLM-DX-006": lambda c: diagnoses(c, "I10", "E11.9"),
    "CLM-DX-007": lambda c: (first_line(c, diagnosis_pointers=[2]), put(c.lines[1], diagnosis_pointers=[1])),
    "CLM-LIN-001": lambda c: (put(c, lines=c.lines[:1]), put(c.claim, total_charge_cents=12000)),
    "CLM-LIN-002": lambda c: first_line(c, procedure_code="J1100"),
    "CLM-LIN-003": lambda c: first_line(c, procedure_code="J1100"),
    "CLM-LIN-004": lambda c: put(c.reference.procedures["J1100"], is_active=False),  # not billed here
    "CLM-MOD-001": lambda c: first_line(c, modifiers=["25", "59"]),
    "CLM-MOD-002": lambda c: first_line(c, modifiers=["25", "59", "76", "GA"]),
    "CLM-PTR-001": lambda c: first_line(c, diagnosis_pointers=[2, 1]),
    "CLM-PTR-002": lambda c: first_line(c, diagnosis_pointers=[2]),
    "CLM-PTR-003": lambda c: (
        diagnoses(c, "E11.9", "I10", "Z00.00", "S72.001A"),
        lines(c, diagnosis_pointers=[1, 2, 3, 4]),
    ),
    "CLM-UNT-001": lambda c: first_line(c, units=1),
    "CLM-UNT-002": lambda c: first_line(c, units=99),
    "CLM-CHG-001": lambda c: (first_line(c, charge_cents=1), put(c.claim, total_charge_cents=5001)),
    "CLM-CHG-002": lambda c: (first_line(c, charge_cents=12001), put(c.claim, total_charge_cents=17001)),
    "CLM-POS-001": lambda c: (put(c.claim, place_of_service="22"), lines(c, place_of_service="22")),
    "CLM-POS-002": lambda c: first_line(c, place_of_service=""),  # the claim's place
    "CLM-TEL-001": lambda c: telehealth(c, "10", ["95"]),
    "CLM-TEL-002": lambda c: telehealth(c, "02", ["GT"]),
    "CLM-X12-001": lambda c: put(c.patient, last_name="O'Brien-Smith", first_name="Ana Maria"),
}


def rule_ids(c: ClaimContext) -> set[str]:
    return {finding.rule_id for finding in evaluate(c)}


def test_every_rule_has_a_breaking_and_a_bending_case_and_the_issue_asks_for_30() -> None:
    assert set(BREAKS) == set(BENDS) == set(RULES)
    assert len(RULES) >= 30
    assert all(rule.severity in Severity.values for rule in RULES.values())


def test_rule_ids_are_stable_in_form_and_every_rule_says_what_it_checks() -> None:
    for rule_id, rule in RULES.items():
        assert re.fullmatch(r"CLM-[A-Z0-9]{2,3}-\d{3}", rule_id) and rule.id == rule_id
        assert rule.title[:1].isupper() and len(rule.title) <= 120, rule_id


def test_the_clean_claim_passes_every_rule() -> None:
    assert evaluate(clean_context()) == []


@pytest.mark.parametrize("rule_id", sorted(BREAKS))
def test_a_broken_claim_is_reported_by_its_rule(rule_id: str) -> None:
    context = clean_context()
    BREAKS[rule_id](context)
    findings = [f for f in evaluate(context) if f.rule_id == rule_id]
    assert findings, f"{rule_id} stayed quiet"
    for finding in findings:
        assert finding.severity == RULES[rule_id].severity
        assert finding.field and finding.message.endswith((".", ")")) and len(finding.message) <= 300


@pytest.mark.parametrize("rule_id", sorted(BENDS))
def test_a_claim_close_to_breaking_a_rule_passes_it(rule_id: str) -> None:
    context = clean_context()
    BENDS[rule_id](context)
    assert rule_id not in rule_ids(context)
