"""What the rules read, loaded up front for a whole batch in a fixed number of queries: the claims
with their encounter, patient and coverage (one query), their lines (one), their payers, providers
and locations (one each), and the reference data every claim shares (billing profile, code sets,
the practice's procedures, other claims of the same visits, the practice's rule settings). Rules
never query the database."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from django.contrib.postgres.aggregates import ArrayAgg
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import OuterRef, Prefetch, Subquery, Value

from practica.claims.models import (
    BillingProfile,
    Claim,
    ClaimLine,
    ClaimStatus,
    Clearinghouse,
    CustomScrubRule,
    Encounter,
    ProcedureCode,
    ScrubRuleSetting,
)
from practica.codesets.models import Icd10Code, PlaceOfService
from practica.eligibility.models import EligibilityCheck
from practica.insurance.models import Coverage, Payer
from practica.patients.models import Patient, PatientProfile
from practica.scheduling.models import Location, Provider

# Claims that no longer stand for the visit: they do not make another claim a duplicate.
RETIRED_STATUSES = (ClaimStatus.VOIDED, ClaimStatus.REPLACED)


@dataclass(frozen=True)
class SiblingClaim:
    """Another claim for the same patient, payer and date of service (for the duplicate rule)."""

    pk: UUID
    patient_control_number: str
    frequency_code: str
    replaces_id: UUID | None
    procedure_codes: frozenset[str]


VisitKey = tuple[UUID, UUID, datetime.date]


@dataclass
class Reference:
    """Shared by every claim of a batch."""

    today: datetime.date
    billing: BillingProfile | None = None
    clearinghouse: str = Clearinghouse.FOLDER
    diagnoses: dict[str, Icd10Code] = field(default_factory=dict)  # by compact code, billable or not
    procedures: dict[str, ProcedureCode] = field(default_factory=dict)
    places: dict[str, PlaceOfService] = field(default_factory=dict)
    claims_by_visit: dict[VisitKey, list[SiblingClaim]] = field(default_factory=dict)
    settings: dict[str, ScrubRuleSetting] = field(default_factory=dict)
    custom_rules: list[CustomScrubRule] = field(default_factory=list)


@dataclass
class ClaimContext:
    """One claim and everything about it the rules read (model instances, saved or not)."""

    claim: Claim
    lines: list[ClaimLine]
    encounter: Encounter
    patient: Patient
    profile: PatientProfile | None
    coverage: Coverage
    payer: Payer
    rendering: Provider
    referring: Provider | None
    location: Location
    reference: Reference

    @property
    def today(self) -> datetime.date:
        return self.reference.today

    @property
    def billing(self) -> BillingProfile | None:
        return self.reference.billing

    @property
    def date_of_service(self) -> datetime.date:
        return self.encounter.date_of_service

    @property
    def eligibility(self) -> tuple[str, datetime.datetime] | None:
        """(status, when) of the payer's latest eligibility answer for this coverage on the date of
        service, when one was asked."""
        status = getattr(self.claim, "eligibility_status", None)
        when = getattr(self.claim, "eligibility_checked_at", None)
        return (status, when) if status and when else None

    def visit_key(self) -> VisitKey:
        return (self.claim.patient_id, self.claim.payer_id, self.date_of_service)


def _profile(patient: Patient) -> PatientProfile | None:
    try:
        return patient.profile
    except ObjectDoesNotExist:
        return None


def load_contexts(claims: Sequence[Claim], *, today: datetime.date, lock: bool = False) -> list[ClaimContext]:
    """The claims as stored (re-read, so what is checked is what would be sent), with everything
    the rules need, in a number of queries that does not depend on how many claims there are.
    With `lock`, the claim rows (only they) are locked in id order, so two lockers cannot deadlock."""
    return load_contexts_by_id([claim.pk for claim in claims], today=today, lock=lock)


def load_contexts_by_id(
    ids: Sequence[UUID], *, today: datetime.date, lock: bool = False
) -> list[ClaimContext]:
    claims_query = Claim.objects.select_for_update(of=("self",)) if lock else Claim.objects.all()
    # The payer's latest eligibility answer for the coverage on the date of service, read in the
    # same query (no query more per batch).
    latest_check = EligibilityCheck.objects.filter(
        coverage_id=OuterRef("coverage_id"),
        service_date=OuterRef("encounter__date_of_service"),
        completed_at__isnull=False,
    ).order_by("-completed_at")
    rows = list(
        claims_query.filter(pk__in=ids)
        .annotate(
            eligibility_status=Subquery(latest_check.values("status")[:1]),
            eligibility_checked_at=Subquery(latest_check.values("completed_at")[:1]),
        )
        .select_related("encounter", "patient__profile", "coverage")
        # Into a plain list: a related manager per claim costs more than the rules.
        .prefetch_related(
            Prefetch("lines", queryset=ClaimLine.objects.order_by("line_number"), to_attr="scrub_lines")
        )
        .order_by("pk")
    )
    # Payers, providers and locations are few and shared by many claims: read once each, not
    # joined into (and built again for) every claim's row.
    payers = Payer.objects.in_bulk({claim.payer_id for claim in rows})
    providers = Provider.objects.in_bulk(
        {claim.encounter.rendering_provider_id for claim in rows}
        | {claim.encounter.referring_provider_id for claim in rows if claim.encounter.referring_provider_id}
    )
    locations = Location.objects.in_bulk({claim.encounter.location_id for claim in rows})
    lines: dict[UUID, list[ClaimLine]] = {claim.pk: claim.scrub_lines for claim in rows}
    reference = load_reference(rows, lines, today=today)
    contexts = []
    for claim in rows:
        encounter = claim.encounter
        claim.payer = payers[claim.payer_id]
        encounter.rendering_provider = providers[encounter.rendering_provider_id]
        if encounter.referring_provider_id:
            encounter.referring_provider = providers[encounter.referring_provider_id]
        encounter.location = locations[encounter.location_id]
        contexts.append(
            ClaimContext(
                claim=claim,
                lines=lines[claim.pk],
                encounter=encounter,
                patient=claim.patient,
                profile=_profile(claim.patient),
                coverage=claim.coverage,
                payer=claim.payer,
                rendering=encounter.rendering_provider,
                referring=encounter.referring_provider if encounter.referring_provider_id else None,
                location=encounter.location,
                reference=reference,
            )
        )
    return contexts


def load_reference(
    claims: Sequence[Claim], lines_by_claim: dict[UUID, list[ClaimLine]], *, today: datetime.date
) -> Reference:
    """The reference data for these claims and their lines: seven queries, whatever the count."""
    billing = BillingProfile.objects.first()
    lines = [line for claim_lines in lines_by_claim.values() for line in claim_lines]
    compact = {code.replace(".", "").upper() for claim in claims for code in claim.diagnosis_codes or []}
    return Reference(
        today=today,
        billing=billing,
        clearinghouse=billing.clearinghouse if billing else Clearinghouse.FOLDER,
        diagnoses={row.compact: row for row in Icd10Code.objects.filter(compact__in=compact)}
        if compact
        else {},
        procedures={
            row.code: row
            for row in ProcedureCode.objects.filter(code__in={line.procedure_code for line in lines})
        },
        places={row.code: row for row in PlaceOfService.objects.all()},
        claims_by_visit=_claims_by_visit(claims),
        settings={row.rule_id: row for row in ScrubRuleSetting.objects.all()},
        custom_rules=list(CustomScrubRule.objects.filter(enabled=True).order_by("pk")),
    )


def _claims_by_visit(claims: Sequence[Claim]) -> dict[VisitKey, list[SiblingClaim]]:
    """Every live claim (these and others) for the patients, payers and dates of service of these
    claims, by visit, with its procedure codes: one query."""
    if not claims:
        return {}
    rows = (
        Claim.objects.filter(
            patient_id__in={claim.patient_id for claim in claims},
            payer_id__in={claim.payer_id for claim in claims},
            encounter__date_of_service__in={claim.encounter.date_of_service for claim in claims},
        )
        .exclude(status__in=RETIRED_STATUSES)
        .values_list(
            "pk",
            "patient_id",
            "payer_id",
            "encounter__date_of_service",
            "patient_control_number",
            "frequency_code",
            "replaces_id",
        )
        .annotate(codes=ArrayAgg("lines__procedure_code", distinct=True, default=Value([])))
        .order_by()
    )
    by_visit: dict[VisitKey, list[SiblingClaim]] = defaultdict(list)
    for pk, patient_id, payer_id, dos, number, frequency, replaces_id, codes in rows:
        codes_set = frozenset(code for code in codes if code)
        by_visit[(patient_id, payer_id, dos)].append(
            SiblingClaim(pk, number, frequency, replaces_id, codes_set)
        )
    return dict(by_visit)
