"""Reads of the claims domain for the back office: the coding screen's encounter, the biller's
queues (charges to review, claims by status and payer, ready batches, submission history). Each
list reads a fixed number of queries whatever its length (pinned in tests/claims/test_queues.py)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from uuid import UUID

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from practica.claims.models import (
    AcknowledgedClaim,
    Acknowledgement,
    ChargeLine,
    Claim,
    ClaimLine,
    ClaimStatus,
    Encounter,
    ScrubFinding,
    SubmissionBatch,
)
from practica.codesets.models import Icd10Code
from practica.insurance.models import Payer

# Claims still being worked on by the practice: their coding may change and be scrubbed again.
EDITABLE = (ClaimStatus.DRAFT, ClaimStatus.REJECTED)
# Claims on their way to, or with, the payer: the encounter's coding is frozen behind them.
IN_FLIGHT = (
    ClaimStatus.READY,
    ClaimStatus.SUBMITTED,
    ClaimStatus.ACCEPTED,
    ClaimStatus.ADJUDICATED,
    ClaimStatus.CLOSED,
)


def encounters_with(queryset: QuerySet[Encounter]) -> QuerySet[Encounter]:
    return queryset.select_related(
        "patient", "provider", "rendering_provider", "location", "appointment__appointment_type"
    )


def encounters_for_coding() -> QuerySet[Encounter]:
    """Encounters with what the coding screen shows of one."""
    return encounters_with(Encounter.objects.all()).prefetch_related(
        "diagnoses",
        Prefetch(
            "charge_lines", queryset=ChargeLine.objects.select_related("procedure").order_by("position")
        ),
        Prefetch("claims", queryset=Claim.objects.select_related("payer").order_by("-created_at")),
    )


def diagnosis_descriptions(codes: Iterable[str]) -> dict[str, str]:
    """The code set's description of each code (dotted), in one query."""
    codes = list(codes)
    if not codes:
        return {}
    return dict(Icd10Code.objects.filter(code__in=codes).values_list("code", "description"))


@dataclass
class FindingsBeside:
    """A claim's stored scrub findings, placed beside the fields they are about: a line's under
    that line (by charge line), the diagnoses' beside the diagnoses, the rest with the claim."""

    by_charge_line: dict[int, list[ScrubFinding]] = field(default_factory=dict)
    diagnoses: list[ScrubFinding] = field(default_factory=list)
    claim: list[ScrubFinding] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.diagnoses) + len(self.claim) + sum(map(len, self.by_charge_line.values()))


def findings_beside(claim: Claim | None) -> FindingsBeside:
    placed = FindingsBeside()
    if claim is None:
        return placed
    findings = ScrubFinding.objects.filter(claim=claim).select_related("line").order_by("severity", "rule_id")
    for finding in findings:
        if finding.line is not None:
            placed.by_charge_line.setdefault(finding.line.charge_line_id, []).append(finding)
        elif "diagnos" in finding.field.lower():
            placed.diagnoses.append(finding)
        else:
            placed.claim.append(finding)
    return placed


def working_claim(encounter: Encounter) -> Claim | None:
    """The claim the coding screen works with: the newest one still editable, else the newest."""
    claims = list(encounter.claims.all())
    return next((c for c in claims if c.status in EDITABLE), claims[0] if claims else None)


# ---- the biller's queues ----------------------------------------------------------------------


def charges_to_review() -> QuerySet[Encounter]:
    """Encounters (not void) with charge lines that no claim carries yet, oldest visit first, with
    their unbilled line count and charges and their diagnosis count."""
    unbilled = Q(charge_lines__claim_lines__isnull=True)
    return (
        encounters_with(Encounter.objects.exclude(status=Encounter.Status.VOID))
        .filter(
            Exists(ChargeLine.objects.filter(encounter=OuterRef("pk"), claim_lines__isnull=True)),
        )
        .annotate(
            unbilled_lines=Count("charge_lines", filter=unbilled, distinct=True),
            unbilled_cents=Sum("charge_lines__charge_cents", filter=unbilled),
            diagnosis_count=Count("diagnoses", distinct=True),
        )
        .order_by("date_of_service", "created_at")
    )


def claims_queue(status: str = "", payer_id: UUID | str | None = None) -> QuerySet[Claim]:
    """Claims by status and payer, newest first, with what the list shows of each (the findings'
    counts are kept on the claim by the scrubber)."""
    claims = Claim.objects.select_related("patient", "payer", "encounter__appointment")
    if status:
        claims = claims.filter(status=status)
    if payer_id:
        claims = claims.filter(payer_id=payer_id)
    return claims.order_by("-created_at")


def status_counts(payer_id: UUID | str | None = None) -> dict[str, int]:
    claims = Claim.objects.all()
    if payer_id:
        claims = claims.filter(payer_id=payer_id)
    found = dict(claims.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {status: found.get(status, 0) for status in ClaimStatus.values}


@dataclass
class ReadyBatch:
    """The claims ready to go to one payer: what one 837P file would carry."""

    payer: Payer
    claims: list[Claim]

    @property
    def total_cents(self) -> int:
        return sum(claim.total_charge_cents for claim in self.claims)

    @property
    def warning_count(self) -> int:
        return sum(claim.warning_count for claim in self.claims)


def ready_batches() -> list[ReadyBatch]:
    """The ready claims grouped by payer (payers by name), in one query."""
    batches: dict[object, ReadyBatch] = {}
    ready = (
        Claim.objects.filter(status=ClaimStatus.READY)
        .select_related("patient", "payer", "encounter__appointment")
        .order_by("payer__name", "payer_id", "created_at")
    )
    for claim in ready:
        batches.setdefault(claim.payer_id, ReadyBatch(claim.payer, [])).claims.append(claim)
    return list(batches.values())


def submission_history() -> QuerySet[SubmissionBatch]:
    """Batches sent, newest first, with their payer and their acknowledgements' outcomes counted."""
    acknowledgements = Acknowledgement.objects.annotate(
        accepted=Count("claim_results", filter=Q(claim_results__outcome=AcknowledgedClaim.Outcome.ACCEPTED)),
        rejected=Count("claim_results", filter=Q(claim_results__outcome=AcknowledgedClaim.Outcome.REJECTED)),
    ).order_by("received_at")
    return (
        SubmissionBatch.objects.select_related("payer")
        .prefetch_related(Prefetch("acknowledgements", queryset=acknowledgements))
        .order_by("-created_at")
    )


def batch_claims(batch: SubmissionBatch) -> list[Claim]:
    """The claims of a batch with each one's acknowledgement results (two queries)."""
    return list(
        Claim.objects.filter(batch_claims__batch=batch)
        .select_related("patient", "encounter__appointment")
        .prefetch_related(
            Prefetch(
                "acknowledgement_results",
                queryset=AcknowledgedClaim.objects.select_related("acknowledgement").order_by(
                    "acknowledgement__received_at"
                ),
            )
        )
        .order_by("patient_control_number")
    )


def claims_in_detail() -> QuerySet[Claim]:
    lines = ClaimLine.objects.order_by("line_number")
    return Claim.objects.select_related(
        "patient", "payer", "coverage", "prior_claim", "encounter__appointment", "encounter__provider"
    ).prefetch_related(
        Prefetch("lines", queryset=lines),
        "transitions",
        Prefetch("batch_claims__batch", queryset=SubmissionBatch.objects.all()),
        Prefetch(
            "acknowledgement_results",
            queryset=AcknowledgedClaim.objects.select_related("acknowledgement"),
        ),
    )


def claim_findings(claim: Claim) -> list[ScrubFinding]:
    return list(
        ScrubFinding.objects.filter(claim=claim)
        .select_related("line")
        .order_by("severity", "rule_id")  # errors before warnings
    )
