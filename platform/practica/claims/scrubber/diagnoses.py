"""The claim's diagnoses (HI): 1 to 12 distinct billable ICD-10-CM codes, no external cause first."""

from collections.abc import Iterator

from practica.claims.models import Severity

from .context import ClaimContext
from .registry import Problem, rule

E, W = Severity.ERROR, Severity.WARNING
MAX_DIAGNOSES = 12


def _compact(code: str) -> str:
    return code.replace(".", "").strip().upper()


@rule("CLM-DX-001", E, "The claim has a diagnosis")
def has_diagnosis(c: ClaimContext) -> Iterator[Problem]:
    if not c.claim.diagnosis_codes:
        yield Problem("claim.diagnosis_codes", "Code at least one diagnosis for the visit.")


@rule("CLM-DX-002", E, "The claim has at most 12 diagnoses")
def at_most_twelve(c: ClaimContext) -> Iterator[Problem]:
    if len(c.claim.diagnosis_codes or []) > MAX_DIAGNOSES:
        yield Problem("claim.diagnosis_codes", f"A claim carries at most {MAX_DIAGNOSES} diagnoses.")


@rule("CLM-DX-003", E, "Every diagnosis is an ICD-10-CM code")
def known_diagnoses(c: ClaimContext) -> Iterator[Problem]:
    for code in c.claim.diagnosis_codes or []:
        if _compact(code) not in c.reference.diagnoses:
            yield Problem("claim.diagnosis_codes", f"“{code}” is not an ICD-10-CM code.")


@rule("CLM-DX-004", E, "Every diagnosis is billable (coded to the last character)")
def billable_diagnoses(c: ClaimContext) -> Iterator[Problem]:
    for code in c.claim.diagnosis_codes or []:
        row = c.reference.diagnoses.get(_compact(code))
        if row is not None and not row.billable:
            yield Problem(
                "claim.diagnosis_codes",
                f"{row.code} is a category, not a billable code: choose a more specific code under it.",
            )


@rule("CLM-DX-005", E, "The first diagnosis is not an external cause")
def external_cause_not_first(c: ClaimContext) -> Iterator[Problem]:
    codes = c.claim.diagnosis_codes or []
    # Chapter 20 (V00-Y99) says how an injury happened; it may never be the principal diagnosis.
    if codes and _compact(codes[0])[:1] in ("V", "W", "X", "Y"):
        yield Problem(
            "claim.diagnosis_codes",
            f"{codes[0]} is an external-cause code: put the injury or condition first.",
        )


@rule("CLM-DX-006", E, "No diagnosis is listed twice")
def distinct_diagnoses(c: ClaimContext) -> Iterator[Problem]:
    seen: set[str] = set()
    for code in c.claim.diagnosis_codes or []:
        if _compact(code) in seen:
            yield Problem("claim.diagnosis_codes", f"{code} is listed twice.")
        seen.add(_compact(code))


@rule("CLM-DX-007", W, "Every diagnosis is pointed at by a line")
def diagnoses_used(c: ClaimContext) -> Iterator[Problem]:
    pointed = {p for line in c.lines for p in line.diagnosis_pointers or []}
    for position, code in enumerate(c.claim.diagnosis_codes or [], start=1):
        if c.lines and position not in pointed:
            yield Problem("claim.diagnosis_codes", f"No line points at diagnosis {position} ({code}).")
