"""A practice's own rules (CustomScrubRule): when a field of the claim, or of each of its lines,
compares to a value by an operator, report the rule's message. The fields a rule may name are the
ones listed here, so a rule cannot reach into anything else; text compares without regard to case."""

import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from practica.claims.models import ClaimLine, CustomScrubRule

from .context import ClaimContext
from .registry import Finding

Value = str | int | list[str] | None


def _age(context: ClaimContext) -> int:
    born, seen = context.patient.date_of_birth, context.date_of_service
    return seen.year - born.year - ((seen.month, seen.day) < (born.month, born.day))


CLAIM_FIELDS: dict[str, Callable[[ClaimContext], Value]] = {
    "claim.total_charge_cents": lambda c: c.claim.total_charge_cents,
    "claim.place_of_service": lambda c: c.claim.place_of_service,
    "claim.frequency_code": lambda c: c.claim.frequency_code,
    "claim.prior_authorization_number": lambda c: c.claim.prior_authorization_number,
    "claim.diagnosis_codes": lambda c: list(c.claim.diagnosis_codes or []),
    "claim.diagnosis_count": lambda c: len(c.claim.diagnosis_codes or []),
    "claim.line_count": lambda c: len(c.lines),
    "patient.first_name": lambda c: c.patient.first_name,
    "patient.last_name": lambda c: c.patient.last_name,
    "patient.sex": lambda c: c.patient.sex,
    "patient.age": _age,
    "patient.state": lambda c: c.profile.state if c.profile else "",
    "patient.postal_code": lambda c: c.profile.postal_code if c.profile else "",
    "coverage.member_id": lambda c: c.coverage.member_id,
    "coverage.group_number": lambda c: c.coverage.group_number,
    "coverage.relationship": lambda c: c.coverage.relationship,
    "payer.name": lambda c: c.payer.name,
    "payer.claim_filing_indicator": lambda c: c.payer.claim_filing_indicator,
    "rendering_provider.npi": lambda c: c.rendering.npi,
    "rendering_provider.taxonomy": lambda c: c.rendering.taxonomy,
    "location.name": lambda c: c.location.name,
}
LINE_FIELDS: dict[str, Callable[[ClaimLine], Value]] = {
    "line.procedure_code": lambda line: line.procedure_code,
    "line.modifiers": lambda line: list(line.modifiers or []),
    "line.units": lambda line: line.units,
    "line.charge_cents": lambda line: line.charge_cents,
    "line.place_of_service": lambda line: line.place_of_service,
    "line.diagnosis_pointer_count": lambda line: len(line.diagnosis_pointers or []),
}
FIELDS = sorted([*CLAIM_FIELDS, *LINE_FIELDS])

Op = CustomScrubRule.Operator


def _number(value: object) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def compare(actual: Value, operator: str, expected: str) -> bool:
    """Whether `actual` (a field's value) stands in `operator` to `expected` (the rule's value).
    A list (modifiers, diagnoses) equals/contains when one of its items does."""
    expected = expected.strip()
    items = [str(item).strip().upper() for item in actual] if isinstance(actual, list) else None
    text = "" if actual is None else ",".join(items) if items is not None else str(actual).strip().upper()
    wanted = expected.upper()
    if operator == Op.IS_EMPTY:
        return text == ""
    if operator == Op.IS_NOT_EMPTY:
        return text != ""
    if operator in (Op.EQUALS, Op.NOT_EQUALS):
        equal = wanted in items if items is not None else text == wanted
        return equal == (operator == Op.EQUALS)
    if operator in (Op.CONTAINS, Op.NOT_CONTAINS):
        found = wanted in items if items is not None else wanted in text
        return found == (operator == Op.CONTAINS)
    if operator == Op.STARTS_WITH:
        return any(i.startswith(wanted) for i in items) if items is not None else text.startswith(wanted)
    if operator in (Op.GREATER_THAN, Op.LESS_THAN):
        left, right = _number(text), _number(expected)
        if left is None or right is None:
            return False
        return left > right if operator == Op.GREATER_THAN else left < right
    if operator == Op.MATCHES:
        pattern = re.compile(expected, re.IGNORECASE)
        return (
            any(pattern.fullmatch(i) for i in items) if items is not None else bool(pattern.fullmatch(text))
        )
    raise ValueError(f"Unknown operator {operator!r}.")


def validate_custom_rule(rule: CustomScrubRule) -> None:
    """What a practice's rule must be to be checked: a known field and operator, a number for the
    comparisons, a valid pattern. Raises ValidationError naming the field of the form."""
    if rule.field not in CLAIM_FIELDS and rule.field not in LINE_FIELDS:
        raise ValidationError({"field": f"Choose one of: {', '.join(FIELDS)}."})
    if rule.operator not in Op.values:
        raise ValidationError({"operator": "Choose one of the operators."})
    if rule.operator in (Op.GREATER_THAN, Op.LESS_THAN) and _number(rule.value) is None:
        raise ValidationError({"value": "Enter a number to compare with."})
    if rule.operator == Op.MATCHES:
        try:
            re.compile(rule.value)
        except re.error as error:
            raise ValidationError({"value": f"Not a valid pattern: {error}."}) from error
    needs_value = rule.operator not in (Op.IS_EMPTY, Op.IS_NOT_EMPTY)
    if needs_value and not rule.value.strip():
        raise ValidationError({"value": "Enter the value to compare with."})


def run_custom_rules(context: ClaimContext) -> Iterator[Finding]:
    """The practice's own rules for this claim (those for its payer, and those for every payer).
    A rule that cannot be checked (saved around the form) says so rather than passing silently."""
    for rule in context.reference.custom_rules:
        if rule.payer_id is not None and rule.payer_id != context.claim.payer_id:
            continue
        try:
            validate_custom_rule(rule)
        except ValidationError as error:
            reason = " ".join(error.messages)
            message = f"The practice's rule “{rule.name}” cannot be checked: {reason}"
            yield Finding(rule.rule_id, rule.field, message[:300], rule.severity)
            continue
        if rule.field in LINE_FIELDS:
            for line in context.lines:
                if compare(LINE_FIELDS[rule.field](line), rule.operator, rule.value):
                    yield Finding(rule.rule_id, rule.field, rule.message, rule.severity, line.line_number)
        elif compare(CLAIM_FIELDS[rule.field](context), rule.operator, rule.value):
            yield Finding(rule.rule_id, rule.field, rule.message, rule.severity)
