"""Coding an encounter as the coding screen does it: each change goes through the claims services
(practica.claims.services), is refused while a claim of the visit is on its way to or with the
payer, and is carried into the visit's draft or rejected claims, which are scrubbed again."""

from collections.abc import Sequence

from django.db import transaction

from practica.claims import services
from practica.claims.errors import ClaimsError, CodingError
from practica.claims.models import ChargeLine, Claim, ClaimStatus, Encounter
from practica.claims.selectors import EDITABLE, IN_FLIGHT


def coding_locked_by(encounter: Encounter) -> Claim | None:
    """The claim that freezes the visit's coding (ready, sent or with the payer), if any."""
    return encounter.claims.filter(status__in=IN_FLIGHT).order_by("-created_at").first()


def _check_codable(encounter: Encounter) -> None:
    if encounter.status == Encounter.Status.VOID:
        raise CodingError("This visit's completion was undone; it is not billed.")
    blocking = coding_locked_by(encounter)
    if blocking is not None:
        raise CodingError(
            f"Claim {blocking.patient_control_number} is {ClaimStatus(blocking.status).label.lower()}:"
            " move it back to draft, or correct it with a replacement claim, to change the coding."
        )


def _carry_into_claims(encounter: Encounter) -> list[Claim]:
    """The visit's draft and rejected claims take up its coding again."""
    return [services.refresh_claim(claim) for claim in encounter.claims.filter(status__in=EDITABLE)]


def code_diagnoses(encounter: Encounter, codes: Sequence[str]) -> list[Claim]:
    with transaction.atomic():
        _check_codable(encounter)
        services.set_diagnoses(encounter, codes)
        return _carry_into_claims(encounter)


def code_line(
    encounter: Encounter, data: services.ChargeInput, line: ChargeLine | None = None
) -> list[Claim]:
    with transaction.atomic():
        _check_codable(encounter)
        services.save_charge_line(encounter, data, line)
        return _carry_into_claims(encounter)


def uncode_line(encounter: Encounter, line: ChargeLine) -> list[Claim]:
    if line.encounter_id != encounter.pk:
        raise CodingError("This line belongs to another encounter.")
    with transaction.atomic():
        _check_codable(encounter)
        # A draft claim carries the line until it is refreshed: take it off the claims first.
        claims = list(encounter.claims.filter(status__in=EDITABLE, lines__charge_line=line).distinct())
        for claim in claims:
            claim.lines.filter(charge_line=line).delete()
        services.remove_charge_line(line)
        return _carry_into_claims(encounter)


def finish_coding(encounter: Encounter) -> Encounter:
    """The clinician is done: the visit has diagnoses and charges and is ready to bill."""
    with transaction.atomic():
        locked = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if locked.status != Encounter.Status.OPEN:
            raise CodingError("This visit is not waiting to be coded.")
        if not locked.diagnoses.exists() or not locked.charge_lines.exists():
            raise CodingError("Add at least one diagnosis and one charge line first.")
        locked.status = Encounter.Status.CODED
        locked.save(update_fields=["status", "updated_at"])
    return locked


def start_claim(encounter: Encounter) -> Claim:
    """A draft claim of the visit's charges to the patient's primary payer."""
    if not encounter.charge_lines.exists():
        raise ClaimsError("This visit has no charges to bill.")
    if not encounter.diagnoses.exists():
        raise ClaimsError("Code at least one diagnosis before making a claim.")
    if encounter.claims.filter(status__in=(*EDITABLE, *IN_FLIGHT)).exists():
        raise ClaimsError("This visit already has a claim; work on that one.")
    return services.create_claim_from_encounter(encounter)
