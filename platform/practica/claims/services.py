"""Writes of the claims domain: coding an encounter, making claims of it, corrected claims.
Every write is audited by the database's audit triggers (bulk and queryset writes included); status
changes go through practica.claims.lifecycle. Every save of a claim scrubs it in the same
transaction (practica.claims.scrubber), so its findings and counts are never stale."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from practica.audit.context import current_actor
from practica.claims import numbers
from practica.claims.errors import ClaimsError, CodingError
from practica.claims.models import (
    ChargeLine,
    Claim,
    ClaimLine,
    ClaimStatus,
    Encounter,
    EncounterDiagnosis,
    FrequencyCode,
    ProcedureCode,
)
from practica.claims.pricing import unit_fees
from practica.claims.scrubber import scrub_claim
from practica.codesets.models import Icd10Code
from practica.insurance.models import Coverage
from practica.insurance.selectors import coverage_on

MAX_DIAGNOSES = 12
MAX_LINES = 50
EDITABLE_CLAIM_STATUSES = (ClaimStatus.DRAFT, ClaimStatus.REJECTED)


# ---- coding -----------------------------------------------------------------------------------


def set_diagnoses(encounter: Encounter, codes: Sequence[str]) -> list[EncounterDiagnosis]:
    """The encounter's diagnoses, in claim order (the first is the principal one): 1 to 12
    distinct billable ICD-10-CM codes, written with or without the dot. Charge-line pointers at
    positions that no longer exist are cleared."""
    wanted = [code.strip().upper() for code in codes if code.strip()]
    if len(wanted) > MAX_DIAGNOSES:
        raise CodingError(f"A claim carries at most {MAX_DIAGNOSES} diagnoses.")
    compact = [code.replace(".", "") for code in wanted]
    if len(set(compact)) != len(compact):
        raise CodingError("Each diagnosis may appear once.")
    known = dict(Icd10Code.objects.filter(compact__in=compact, billable=True).values_list("compact", "code"))
    unknown = [code for code, short in zip(wanted, compact, strict=True) if short not in known]
    if unknown:
        raise CodingError(f"Not a billable ICD-10-CM code: {', '.join(unknown)}.", "unknown_diagnosis")
    with transaction.atomic():
        locked = Encounter.objects.select_for_update().get(pk=encounter.pk)
        current = {d.position: d for d in locked.diagnoses.all()}
        result = []
        # Clear codes out of the way first: (encounter, code) and (encounter, position) are unique.
        for diagnosis in current.values():
            diagnosis.delete()
        for position, short in enumerate(compact, start=1):
            result.append(
                EncounterDiagnosis.objects.create(encounter=locked, position=position, code=known[short])
            )
        for line in locked.charge_lines.all():
            kept = [p for p in line.diagnosis_pointers if p <= len(result)]
            if kept != line.diagnosis_pointers:
                _set_pointers(line, kept)
                line.save()
    return result


@dataclass
class ChargeInput:
    """What the coding screen sends for one line. A fee of None: priced from the fee schedule."""

    procedure: ProcedureCode
    units: int = 1
    modifiers: list[str] = field(default_factory=list)
    pointers: list[int] = field(default_factory=list)
    unit_fee_cents: int | None = None
    place_of_service: str = ""


def _set_pointers(line: ChargeLine, pointers: Sequence[int]) -> None:
    padded = [*pointers, None, None, None, None][:4]
    line.pointer_1, line.pointer_2, line.pointer_3, line.pointer_4 = padded


def _check_line(encounter: Encounter, data: ChargeInput, diagnosis_count: int) -> None:
    if data.units < 1:
        raise CodingError("Units must be at least 1.")
    if len(data.modifiers) > 4 or any(len(m) != 2 or not m.isalnum() for m in data.modifiers):
        raise CodingError("Up to 4 modifiers of 2 letters or digits.")
    if len(data.pointers) > 4 or len(set(data.pointers)) != len(data.pointers):
        raise CodingError("Up to 4 distinct diagnosis pointers.")
    if any(not 1 <= p <= diagnosis_count for p in data.pointers):
        raise CodingError("A diagnosis pointer must point at one of the encounter's diagnoses.")
    if data.unit_fee_cents is not None and data.unit_fee_cents < 0:
        raise CodingError("A fee cannot be negative.")


def save_charge_line(encounter: Encounter, data: ChargeInput, line: ChargeLine | None = None) -> ChargeLine:
    """Add a charge line to the encounter, or change one of its lines."""
    if line is not None and line.encounter_id != encounter.pk:
        raise CodingError("This line belongs to another encounter.")
    with transaction.atomic():
        locked = Encounter.objects.select_for_update().get(pk=encounter.pk)
        _check_line(locked, data, locked.diagnoses.count())
        if line is None:
            if locked.charge_lines.count() >= MAX_LINES:
                raise CodingError(f"A claim carries at most {MAX_LINES} lines.")
            last = locked.charge_lines.order_by("-position").values_list("position", flat=True).first()
            line = ChargeLine(
                encounter=locked, position=(last or 0) + 1, date_of_service=locked.date_of_service
            )
        fee = data.unit_fee_cents
        if fee is None:
            coverage = coverage_on(locked.patient_id, locked.date_of_service)
            fee = unit_fees(
                [data.procedure],
                on=locked.date_of_service,
                payer=coverage.payer if coverage else None,
                location=locked.location,
            )[data.procedure.pk]
        line.procedure = data.procedure
        line.units = data.units
        modifiers = [m.upper() for m in data.modifiers] + ["", "", "", ""]
        line.modifier_1, line.modifier_2, line.modifier_3, line.modifier_4 = modifiers[:4]
        _set_pointers(line, data.pointers)
        line.unit_fee_cents = fee
        line.charge_cents = fee * data.units
        line.place_of_service = data.place_of_service or locked.place_of_service
        line.save()
    return line


def remove_charge_line(line: ChargeLine) -> None:
    """Only a line no claim has carried: what was billed stays."""
    if line.claim_lines.exists():
        raise CodingError("This line is on a claim; correct the claim instead.")
    line.delete()


# ---- claims -----------------------------------------------------------------------------------


def _snapshot(claim: Claim, encounter: Encounter) -> None:
    """Copy the encounter's diagnoses and lines into the claim. Lines keep their line control
    number across refreshes; new lines get fresh ones (one query for all of them)."""
    claim.diagnosis_codes = list(encounter.diagnoses.order_by("position").values_list("code", flat=True))
    charge_lines = list(encounter.charge_lines.select_related("procedure").order_by("position"))
    if len(charge_lines) > MAX_LINES:
        raise ClaimsError(f"A claim carries at most {MAX_LINES} lines.")
    kept = {line.charge_line_id: line.line_control_number for line in claim.lines.all()} if claim.pk else {}
    if claim.pk:
        claim.lines.all().delete()
    fresh = iter(numbers.line_control_numbers(sum(1 for cl in charge_lines if cl.pk not in kept)))
    claim.total_charge_cents = sum(line.charge_cents for line in charge_lines)
    claim.save()
    for number, charge in enumerate(charge_lines, start=1):
        ClaimLine.objects.create(
            claim=claim,
            charge_line=charge,
            line_number=number,
            line_control_number=kept.get(charge.pk) or next(fresh),
            procedure_code=charge.procedure.code,
            modifiers=charge.modifiers,
            units=charge.units,
            charge_cents=charge.charge_cents,
            diagnosis_pointers=charge.diagnosis_pointers,
            date_of_service=charge.date_of_service,
            place_of_service=charge.place_of_service,
        )


def practice_today(encounter: Encounter) -> datetime.date:
    """The date at the visit's location now: what the scrubber's dates compare with when the
    caller (a request, a task) does not say."""
    return timezone.localdate(timezone=ZoneInfo(encounter.location.time_zone))


def create_claim_from_encounter(
    encounter: Encounter, *, coverage: Coverage | None = None, today: datetime.date | None = None
) -> Claim:
    """A draft claim of the encounter to a coverage's payer (the primary coverage in force on the
    date of service, unless another is named), with a fresh patient control number. The coverage
    must name a payer the practice has set up."""
    with transaction.atomic():
        locked = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if locked.status == Encounter.Status.VOID:
            raise ClaimsError("This encounter is void.")
        coverage = coverage or coverage_on(locked.patient_id, locked.date_of_service)
        if coverage is None:
            raise ClaimsError("The patient has no coverage in force on the date of service.", "no_coverage")
        if coverage.patient_id != locked.patient_id:
            raise ClaimsError("This coverage belongs to another patient.")
        if coverage.payer_id is None:
            raise ClaimsError(
                f"Match the payer “{coverage.unmapped_payer_name}” to one of the practice's payers first.",
                "unmapped_payer",
            )
        claim = Claim(
            encounter=locked,
            patient_id=locked.patient_id,
            coverage=coverage,
            payer_id=coverage.payer_id,
            patient_control_number=numbers.patient_control_numbers(1)[0],
            place_of_service=locked.place_of_service,
            prior_authorization_number=locked.prior_authorization_number
            or coverage.prior_authorization_number,
            created_by_id=current_actor.get().user_id,
        )
        _snapshot(claim, locked)
        if locked.status != Encounter.Status.BILLED:
            locked.status = Encounter.Status.BILLED
            locked.save(update_fields=["status", "updated_at"])
        scrub_claim(claim, today=today or practice_today(locked))
    return claim


def refresh_claim(claim: Claim, *, today: datetime.date | None = None) -> Claim:
    """A draft or rejected claim takes up the encounter's current coding again."""
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if locked.status not in EDITABLE_CLAIM_STATUSES:
            raise ClaimsError("Only a draft or rejected claim can change; correct a sent one instead.")
        encounter = Encounter.objects.get(pk=locked.encounter_id)
        locked.place_of_service = encounter.place_of_service
        locked.prior_authorization_number = encounter.prior_authorization_number
        _snapshot(locked, encounter)
        scrub_claim(locked, today=today or practice_today(encounter))
    return locked


def create_corrected_claim(original: Claim, frequency: str, *, today: datetime.date | None = None) -> Claim:
    """A replacement (frequency 7) or void (8) of a claim the payer has taken in, naming the payer's
    claim control number (REF*F8). It starts as a draft; the original becomes replaced or voided
    when the correction is submitted (practica.claims.lifecycle)."""
    if frequency not in (FrequencyCode.REPLACEMENT, FrequencyCode.VOID):
        raise ClaimsError("A corrected claim replaces (7) or voids (8) its original.")
    if original.status not in (ClaimStatus.ACCEPTED, ClaimStatus.ADJUDICATED, ClaimStatus.CLOSED):
        raise ClaimsError("Only a claim the payer has accepted can be replaced or voided.")
    if not original.payer_claim_control_number:
        raise ClaimsError(
            "The payer's claim number of the original is not known yet.", "no_payer_claim_number"
        )
    with transaction.atomic():
        encounter = Encounter.objects.select_for_update().get(pk=original.encounter_id)
        claim = Claim(
            encounter=encounter,
            patient_id=original.patient_id,
            coverage_id=original.coverage_id,
            payer_id=original.payer_id,
            patient_control_number=numbers.patient_control_numbers(1)[0],
            frequency_code=frequency,
            original_claim_number=original.payer_claim_control_number,
            replaces=original,
            place_of_service=encounter.place_of_service,
            prior_authorization_number=encounter.prior_authorization_number
            or original.prior_authorization_number,
            created_by_id=current_actor.get().user_id,
        )
        _snapshot(claim, encounter)
        scrub_claim(claim, today=today or practice_today(encounter))
    return claim
