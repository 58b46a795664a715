"""Where the service happened: CMS place-of-service codes, and telehealth places vs modifiers."""

from collections.abc import Iterator

from practica.claims.models import Severity

from .context import ClaimContext
from .registry import Problem, rule
from .shapes import TELEHEALTH_MODIFIERS

E, W = Severity.ERROR, Severity.WARNING


def _known(c: ClaimContext, code: str) -> bool:
    place = c.reference.places.get(code)
    return place is not None and place.is_active


def _telehealth(c: ClaimContext, code: str) -> bool:
    place = c.reference.places.get(code)
    return place is not None and place.telehealth


@rule("CLM-POS-001", E, "The claim's place of service is a CMS code")
def claim_place(c: ClaimContext) -> Iterator[Problem]:
    if not _known(c, c.claim.place_of_service):
        yield Problem(
            "claim.place_of_service", f"“{c.claim.place_of_service}” is not a place-of-service code in use."
        )


@rule("CLM-POS-002", E, "Every line's place of service is a CMS code")
def line_place(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        if line.place_of_service and not _known(c, line.place_of_service):
            yield Problem(
                "line.place_of_service",
                f"Line {line.line_number}: “{line.place_of_service}” is not a place-of-service code in use.",
                line.line_number,
            )


@rule("CLM-TEL-001", E, "A telehealth modifier (95, GT) goes with a telehealth place (02, 10)")
def telehealth_modifier_needs_place(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        place = line.place_of_service or c.claim.place_of_service
        tele = TELEHEALTH_MODIFIERS.intersection(line.modifiers or [])
        if tele and not _telehealth(c, place):
            yield Problem(
                "line.place_of_service",
                f"Line {line.line_number} has telehealth modifier {', '.join(sorted(tele))} but place of "
                f"service {place}: use 02 or 10, or remove the modifier.",
                line.line_number,
            )


@rule("CLM-TEL-002", W, "A telehealth place (02, 10) carries a telehealth modifier")
def telehealth_place_wants_modifier(c: ClaimContext) -> Iterator[Problem]:
    for line in c.lines:
        place = line.place_of_service or c.claim.place_of_service
        if _telehealth(c, place) and not TELEHEALTH_MODIFIERS.intersection(line.modifiers or []):
            yield Problem(
                "line.modifiers",
                f"Line {line.line_number} is telehealth (place {place}): many payers want modifier 95 too.",
                line.line_number,
            )
