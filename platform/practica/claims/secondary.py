"""Claims to the next payer: once the primary payer has adjudicated a claim, the same lines go to
the patient's secondary coverage with the primary's outcome (what it paid, and why it did not pay
the rest, as CAS adjustments), which the 837P carries in loops 2320/2330 and 2430.

The outcome is kept on the new claim as it stood when the claim was made (`Claim.prior_adjudication`,
amounts in cents), so what was sent stays as sent whatever is posted later. The secondary claim
bills the primary claim's lines as billed (not the encounter's current coding), each with its
paid amount and adjustments, keyed by the new claim's line number.
"""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from practica.audit.context import current_actor
from practica.claims import numbers
from practica.claims.errors import ClaimsError
from practica.claims.models import Claim, ClaimLine, ClaimStatus
from practica.claims.scrubber import scrub_claim
from practica.insurance.models import Coverage, Priority
from practica.insurance.selectors import coverage_on

ADJUSTMENT_GROUPS = ("CO", "PR", "OA", "PI", "CR")
NEXT_PRIORITY: dict[str, str] = {Priority.PRIMARY: Priority.SECONDARY, Priority.SECONDARY: Priority.TERTIARY}


@dataclass(frozen=True)
class Adjustment:
    """One CAS adjustment: group (CO, PR, OA, PI, CR), reason (CARC), amount in cents."""

    group: str
    reason: str
    amount_cents: int
    quantity: int | None = None


@dataclass(frozen=True)
class LineOutcome:
    paid_cents: int
    adjustments: Sequence[Adjustment] = ()


@dataclass(frozen=True)
class PayerOutcome:
    """How the payer of a claim adjudicated it: `lines` by the claim's line control number (REF*6R,
    echoed by the 835); `adjustments` are claim-level ones (CAS at the CLP level)."""

    paid_cents: int
    adjudicated_on: datetime.date
    payer_claim_number: str = ""
    adjustments: Sequence[Adjustment] = ()
    lines: Mapping[str, LineOutcome] = field(default_factory=dict)


def _adjustments(adjustments: Sequence[Adjustment], where: str) -> list[dict[str, Any]]:
    rows = []
    for a in adjustments:
        group, reason = a.group.strip().upper(), a.reason.strip().upper()
        if group not in ADJUSTMENT_GROUPS or not reason or len(reason) > 5:
            raise ClaimsError(f"{where}: {a.group}-{a.reason} is not an adjustment group and reason code.")
        rows.append(
            {"group": group, "reason": reason, "amount_cents": a.amount_cents, "quantity": a.quantity}
        )
    return rows


def _outcome(primary: Claim, lines: list[ClaimLine], outcome: PayerOutcome) -> dict[str, Any]:
    """The outcome as the new claim keeps it, checked to balance as the 837P must: each line's
    charge is its paid amount plus its adjustments, the claim's charge the paid amount plus every
    adjustment."""
    unknown = set(outcome.lines) - {line.line_control_number for line in lines}
    if unknown:
        raise ClaimsError(
            f"These lines are not on claim {primary.patient_control_number}: {', '.join(sorted(unknown))}."
        )
    by_number: dict[str, Any] = {}
    adjusted = 0
    for number, line in enumerate(lines, start=1):
        found = outcome.lines.get(line.line_control_number)
        if found is None:
            continue
        where = f"Line {line.line_number} ({line.procedure_code})"
        rows = _adjustments(found.adjustments, where)
        line_adjusted = sum(row["amount_cents"] for row in rows)
        if found.paid_cents + line_adjusted != line.charge_cents:
            raise ClaimsError(
                f"{where} does not balance: paid {found.paid_cents / 100:.2f} and adjustments "
                f"{line_adjusted / 100:.2f} do not make its charge {line.charge_cents / 100:.2f}.",
                "unbalanced",
            )
        adjusted += line_adjusted
        by_number[str(number)] = {"paid_cents": found.paid_cents, "adjustments": rows}
    claim_rows = _adjustments(outcome.adjustments, "Claim")
    adjusted += sum(row["amount_cents"] for row in claim_rows)
    if outcome.paid_cents + adjusted != primary.total_charge_cents:
        raise ClaimsError(
            f"The payer's outcome does not balance: paid {outcome.paid_cents / 100:.2f} and adjustments "
            f"{adjusted / 100:.2f} do not make the claim's charge {primary.total_charge_cents / 100:.2f}.",
            "unbalanced",
        )
    return {
        "paid_cents": outcome.paid_cents,
        "adjudicated_on": outcome.adjudicated_on.isoformat(),
        "payer_claim_number": outcome.payer_claim_number.strip()[:50],
        "adjustments": claim_rows,
        "lines": by_number,
    }


def next_coverage(primary: Claim) -> Coverage:
    """The coverage that pays after the claim's own: secondary after primary, tertiary after
    secondary, in force on the date of service."""
    own = primary.coverage.priority
    priority = NEXT_PRIORITY.get(own)
    coverage = (
        coverage_on(primary.patient_id, primary.encounter.date_of_service, priority) if priority else None
    )
    if coverage is None:
        raise ClaimsError(
            "The patient has no coverage after this claim's in force on the date of service.", "no_coverage"
        )
    if coverage.payer_id is None:
        raise ClaimsError(
            f"Match the payer “{coverage.unmapped_payer_name}” to one of the practice's payers first.",
            "unmapped_payer",
        )
    return coverage


def next_payer_offer(claim: Claim) -> Coverage | None:
    """The coverage the claim may go on to from its page: the payer has adjudicated it, it has not
    gone on already, and the patient has a next coverage matched to a payer; None otherwise (the
    page then shows no button). Two queries at most."""
    if claim.status not in (ClaimStatus.ADJUDICATED, ClaimStatus.CLOSED):
        return None
    if claim.next_payer_claims.exclude(status__in=(ClaimStatus.VOIDED, ClaimStatus.REPLACED)).exists():
        return None
    try:
        return next_coverage(claim)
    except ClaimsError:
        return None


def create_next_payer_claim(
    primary: Claim, outcome: PayerOutcome, *, today: datetime.date | None = None
) -> Claim:
    """A draft claim of the primary claim's lines to the next coverage's payer, carrying the
    primary payer's adjudication (`outcome`), scrubbed as every claim is. The primary claim must
    have been adjudicated; a second call while a claim to that payer is already open is refused."""
    from practica.claims.services import practice_today

    with transaction.atomic():
        locked = (
            Claim.objects.select_for_update()
            .select_related("coverage", "encounter__location")
            .get(pk=primary.pk)
        )
        if locked.status not in (ClaimStatus.ADJUDICATED, ClaimStatus.CLOSED):
            raise ClaimsError(
                "Only a claim the payer has adjudicated goes on to the next payer.", "not_adjudicated"
            )
        coverage = next_coverage(locked)
        assert coverage.payer_id is not None  # next_coverage refuses an unmatched payer
        if locked.next_payer_claims.exclude(status__in=(ClaimStatus.VOIDED, ClaimStatus.REPLACED)).exists():
            raise ClaimsError("This claim already went on to the next payer.", "already_forwarded")
        lines = list(locked.lines.order_by("line_number"))
        prior = _outcome(locked, lines, outcome)
        claim = Claim.objects.create(
            encounter_id=locked.encounter_id,
            patient_id=locked.patient_id,
            coverage=coverage,
            payer_id=coverage.payer_id,
            patient_control_number=numbers.patient_control_numbers(1)[0],
            place_of_service=locked.place_of_service,
            prior_authorization_number=coverage.prior_authorization_number
            or locked.prior_authorization_number,
            diagnosis_codes=locked.diagnosis_codes,
            total_charge_cents=locked.total_charge_cents,
            prior_claim=locked,
            prior_adjudication=prior,
            created_by_id=current_actor.get().user_id,
        )
        ClaimLine.objects.bulk_create(
            ClaimLine(
                claim=claim,
                charge_line_id=line.charge_line_id,
                line_number=number,
                line_control_number=control,
                procedure_code=line.procedure_code,
                modifiers=line.modifiers,
                units=line.units,
                charge_cents=line.charge_cents,
                diagnosis_pointers=line.diagnosis_pointers,
                date_of_service=line.date_of_service,
                place_of_service=line.place_of_service,
            )
            for number, (line, control) in enumerate(
                zip(lines, numbers.line_control_numbers(len(lines)), strict=True), start=1
            )
        )
        scrub_claim(claim, today=today or practice_today(locked.encounter))
    return claim
