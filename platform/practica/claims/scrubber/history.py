"""The claim among the others of the same visit: duplicates, and corrections of earlier claims."""

from collections.abc import Iterator

from practica.claims.models import FrequencyCode, Severity

from .context import ClaimContext
from .registry import Problem, rule

E, W = Severity.ERROR, Severity.WARNING


@rule("CLM-DUP-001", E, "No other live claim bills the same visit and procedure to the payer")
def duplicate(c: ClaimContext) -> Iterator[Problem]:
    if c.claim.frequency_code == FrequencyCode.VOID:
        return
    codes = {line.procedure_code for line in c.lines}
    # A correction and the claim it corrects are one claim to the payer, not duplicates.
    related = {c.claim.replaces_id}
    for other in c.reference.claims_by_visit.get(c.visit_key(), []):
        if other.pk == c.claim.pk or other.pk in related or other.replaces_id == c.claim.pk:
            continue
        if other.frequency_code == FrequencyCode.VOID:
            continue
        shared = sorted(codes & other.procedure_codes)
        if shared:
            yield Problem(
                "claim",
                f"Claim {other.patient_control_number} already bills {', '.join(shared)} for this visit "
                f"to {c.payer.name}: void one of them.",
            )


@rule("CLM-FRQ-001", E, "A replacement or void names the original claim")
def correction_names_original(c: ClaimContext) -> Iterator[Problem]:
    frequency = c.claim.frequency_code
    if (
        frequency in (FrequencyCode.REPLACEMENT, FrequencyCode.VOID)
        and not c.claim.original_claim_number.strip()
    ):
        kind = "replacement" if frequency == FrequencyCode.REPLACEMENT else "void"
        yield Problem(
            "claim.original_claim_number",
            f"A {kind} (frequency {frequency}) must give the payer's claim number of the original claim.",
        )
    elif frequency == FrequencyCode.ORIGINAL and c.claim.original_claim_number.strip():
        yield Problem(
            "claim.original_claim_number",
            "An original claim carries no original claim number: make it a replacement (7) or clear it.",
        )
