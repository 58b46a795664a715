"""A practice's own scrub rules, in memory: each operator on text, numbers and lists, the fields a
rule may name, and what makes a rule unusable (said when saved, and again when it runs)."""

import pytest
from django.core.exceptions import ValidationError
from stdnum import luhn
from stdnum.us import ein

from practica.claims.models import CustomScrubRule, Severity
from practica.claims.scrubber import CUSTOM_RULE_FIELDS, evaluate, validate_custom_rule
from practica.claims.scrubber.custom import compare
from practica.insurance.models import Payer
from practica.scheduling.validators import npi_check_digit_ok
from tests.claims.scrub_contexts import clean_context


@pytest.mark.parametrize(
    ("actual", "operator", "value", "expected"),
    [
        ("99213", "equals", "99213", True),
        ("abc", "equals", "ABC ", True),  # text compares without regard to case or spaces around
        ("99213", "equals", "99214", False),
        ("99213", "not_equals", "99214", True),
        ("99213", "not_equals", "99213", False),
        ("Lakeview Health", "contains", "view", True),
        ("Lakeview Health", "contains", "Blue", False),
        ("Lakeview Health", "not_contains", "Blue", True),
        ("Lakeview Health", "not_contains", "health", False),
        ("W123", "starts_with", "w1", True),
        ("W123", "starts_with", "123", False),
        ("", "is_empty", "", True),
        ("A1", "is_empty", "", False),
        ("A1", "is_not_empty", "", True),
        ("  ", "is_not_empty", "", False),
        (17000, "gt", "15000", True),
        (15000, "gt", "15000", False),
        (2, "lt", "3", True),
        (3, "lt", "3", False),
        ("not a number", "gt", "1", False),
        ("1EG4TE5MK73", "matches", r"[0-9][A-Z0-9]{10}", True),
        ("1EG4-TE5", "matches", r"[0-9][A-Z0-9]{10}", False),
        (["25", "59"], "equals", "59", True),  # a list equals a value when one of its items does
        (["25", "59"], "equals", "95", False),
        (["25"], "not_contains", "95", True),
        (["25", "GT"], "contains", "gt", True),
        ([], "is_empty", "", True),
        (["E11.9", "I10"], "starts_with", "E11", True),
        (["E11.9", "I10"], "matches", r"I\d+", True),
        (["E11.9"], "matches", r"I\d+", False),
    ],
)
def test_each_operator_compares_as_a_biller_would_expect(
    actual: str | int | list[str], operator: str, value: str, expected: bool
) -> None:
    assert compare(actual, operator, value) is expected


@pytest.mark.parametrize(
    ("field", "operator", "value", "form_field"),
    [
        ("claim.secret_field", "equals", "x", "field"),
        ("claim.total_charge_cents", "between", "1", "operator"),
        ("claim.total_charge_cents", "gt", "lots", "value"),
        ("line.procedure_code", "matches", "([", "value"),
        ("line.procedure_code", "equals", " ", "value"),
    ],
)
def test_a_rule_that_cannot_be_checked_is_refused_naming_the_field(
    field: str, operator: str, value: str, form_field: str
) -> None:
    rule = CustomScrubRule(name="R", field=field, operator=operator, value=value, message="M")
    with pytest.raises(ValidationError) as refused:
        validate_custom_rule(rule)
    assert list(refused.value.message_dict) == [form_field]


def test_every_listed_field_can_be_read_from_a_claim_and_checked() -> None:
    context = clean_context()
    for number, field in enumerate(CUSTOM_RULE_FIELDS):
        rule = CustomScrubRule(
            pk=number + 1, name=field, field=field, operator="is_not_empty", message="Set."
        )
        validate_custom_rule(rule)
        context.reference.custom_rules = [rule]
        found = [f for f in evaluate(context) if f.rule_id == rule.rule_id]
        expected_empty = field in (
            "claim.prior_authorization_number",
            "coverage.group_number",
            "line.modifiers",
        )
        assert (found == []) is expected_empty, field


def test_a_rule_for_one_payer_runs_only_on_that_payers_claims() -> None:
    context = clean_context()
    mine = CustomScrubRule(
        pk=1, name="Mine", field="claim.place_of_service", operator="equals", value="11", message="Mine.",
        payer=context.payer, severity=Severity.ERROR,
    )  # fmt: skip
    theirs = CustomScrubRule(
        pk=2, name="Theirs", field="claim.place_of_service", operator="equals", value="11", message="Theirs.",
        payer=Payer(name="Other payer"),
    )  # fmt: skip
    context.reference.custom_rules = [mine, theirs]
    assert [(f.rule_id, f.severity, f.message) for f in evaluate(context)] == [("CUSTOM-1", "error", "Mine.")]


def test_the_npi_and_ein_checks_agree_with_python_stdnum() -> None:
    # The NPI check digit is Luhn over the number prefixed with 80840 (the card issuer).
    for stem in range(123456000, 123458000, 7):
        for last in "0123456789":
            npi = f"{stem}{last}"
            assert npi_check_digit_ok(npi) is luhn.is_valid("80840" + npi), npi
    context = clean_context()
    for prefix in range(100):
        number = f"{prefix:02d}1234567"
        assert context.billing is not None
        context.billing.ein = number
        reported = any(f.rule_id == "CLM-EIN-001" for f in evaluate(context))
        assert reported is not ein.is_valid(number), number
