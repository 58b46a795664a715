"""The service lines (loop 2400): count, procedure codes, modifiers, pointers, units, charges and
the claim's total."""

from collections.abc import Iterator

from practica.claims.models import Severity

from .context import ClaimContext
from .registry import Problem, rule
from .shapes import MODIFIER, PROCEDURE

E, W = Severity.ERROR, Severity.WARNING
MAX_LINES = 50
MAX_MODIFIERS = MAX_POINTERS = 4
USUAL_MAX_UNITS = 99


@rule("CLM-LIN-001", E, "The claim has 1 to 50 lines")
def line_count(c: ClaimContext) -> Iterator[Problem]:
    if not c.lines:
        yield Problem("claim.lines", "Add at least one procedure to the claim.")
    elif len(c.lines) > MAX_LINES:
        yield Problem("claim.lines", f"A claim carries at most {MAX_LINES} lines; split it.")


@rule("CLM-LIN-002", E, "Every procedure code is a CPT or HCPCS code")
def procedure_format(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        if not PROCEDURE.fullmatch(line.procedure_code):
            yield Problem(
                "line.procedure_code",
                f"Line {line.line_number}: “{line.procedure_code}” is not a CPT or HCPCS code.",
                line.line_number,
            )


@rule("CLM-LIN-003", E, "Every procedure is on the practice's list")
def procedure_listed(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        if PROCEDURE.fullmatch(line.procedure_code) and line.procedure_code not in c.reference.procedures:
            yield Problem(
                "line.procedure_code",
                f"Line {line.line_number}: {line.procedure_code} is not on the practice's procedure list.",
                line.line_number,
            )


@rule("CLM-LIN-004", W, "Every procedure is still in use at the practice")
def procedure_active(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        procedure = c.reference.procedures.get(line.procedure_code)
        if procedure is not None and not procedure.is_active:
            yield Problem(
                "line.procedure_code",
                f"Line {line.line_number}: {line.procedure_code} is marked inactive on the practice's list.",
                line.line_number,
            )


@rule("CLM-MOD-001", E, "Every modifier is 2 letters or digits")
def modifier_format(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        for modifier in line.modifiers or []:
            if not MODIFIER.fullmatch(str(modifier)):
                yield Problem(
                    "line.modifiers",
                    f"Line {line.line_number}: “{modifier}” is not a modifier (2 capital letters or digits).",
                    line.line_number,
                )


@rule("CLM-MOD-002", E, "A line has at most 4 modifiers, none repeated")
def modifier_count(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        modifiers = list(line.modifiers or [])
        if len(modifiers) > MAX_MODIFIERS or len(set(modifiers)) != len(modifiers):
            yield Problem(
                "line.modifiers",
                f"Line {line.line_number}: up to {MAX_MODIFIERS} modifiers, each once.",
                line.line_number,
            )


@rule("CLM-PTR-001", E, "Every line points at a diagnosis")
def has_pointer(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        if not line.diagnosis_pointers:
            yield Problem(
                "line.diagnosis_pointers",
                f"Line {line.line_number}: point it at the diagnosis it treats.",
                line.line_number,
            )


@rule("CLM-PTR-002", E, "Every pointer points at one of the claim's diagnoses")
def pointers_exist(c: ClaimContext) -> Iterator[Problem]:
    count = len(c.claim.diagnosis_codes or [])
    for line in c.lines:
        missing = [p for p in line.diagnosis_pointers or [] if not (isinstance(p, int) and 1 <= p <= count)]
        if missing:
            yield Problem(
                "line.diagnosis_pointers",
                f"Line {line.line_number} points at diagnosis {', '.join(map(str, missing))}, "
                f"but the claim has {count}.",
                line.line_number,
            )


@rule("CLM-PTR-003", E, "A line has at most 4 pointers, none repeated")
def pointer_count(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        pointers = list(line.diagnosis_pointers or [])
        if len(pointers) > MAX_POINTERS or len(set(pointers)) != len(pointers):
            yield Problem(
                "line.diagnosis_pointers",
                f"Line {line.line_number}: up to {MAX_POINTERS} diagnosis pointers, each once.",
                line.line_number,
            )


@rule("CLM-UNT-001", E, "Every line has at least 1 unit")
def units_positive(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        if line.units < 1:
            yield Problem(
                "line.units", f"Line {line.line_number}: units must be at least 1.", line.line_number
            )


@rule("CLM-UNT-002", W, "No line has an unusual number of units")
def units_usual(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        if line.units > USUAL_MAX_UNITS:
            yield Problem(
                "line.units",
                f"Line {line.line_number}: {line.units} units is unusual; check the count.",
                line.line_number,
            )


@rule("CLM-CHG-001", E, "Every line has a charge")
def line_charged(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        if line.charge_cents <= 0:
            yield Problem(
                "line.charge_cents",
                f"Line {line.line_number}: {line.procedure_code} has no charge; set its fee.",
                line.line_number,
            )


@rule("CLM-CHG-002", E, "The claim's total is the sum of its lines")
def total_is_sum(c: ClaimContext) -> Iterator[Problem]:
    lines_total = sum(line.charge_cents for line in c.lines)
    if c.claim.total_charge_cents != lines_total:
        yield Problem(
            "claim.total_charge_cents",
            f"The claim's total (${c.claim.total_charge_cents / 100:,.2f}) is not the sum of its lines "
            f"(${lines_total / 100:,.2f}); refresh the claim.",
        )
