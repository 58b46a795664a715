"""The rendering provider (loop 2310B) and the referring provider (2310A)."""

from collections.abc import Iterator

from practica.claims.models import Severity
from practica.scheduling.validators import npi_check_digit_ok

from .context import ClaimContext
from .registry import Problem, rule
from .shapes import TAXONOMY

E, W = Severity.ERROR, Severity.WARNING


@rule("CLM-NPI-002", E, "The rendering provider's NPI is valid")
def rendering_npi(c: ClaimContext) -> Iterator[Problem]:
    if not npi_check_digit_ok(c.rendering.npi):
        yield Problem(
            "rendering_provider.npi",
            f"{c.rendering.display_name}'s NPI “{c.rendering.npi}” is not a valid NPI (check digit).",
        )


@rule("CLM-PRV-001", E, "The rendering provider has a first and last name")
def rendering_name(c: ClaimContext) -> Iterator[Problem]:
    if not c.rendering.last_name.strip() or not c.rendering.first_name.strip():
        yield Problem(
            "rendering_provider.last_name",
            f"Enter {c.rendering.display_name}'s first and last name as the payer knows them.",
        )


@rule("CLM-TAX-002", E, "The rendering provider's taxonomy is given when the payer asks, and well formed")
def rendering_taxonomy(c: ClaimContext) -> Iterator[Problem]:
    taxonomy = c.rendering.taxonomy
    if not taxonomy and c.payer.requires_taxonomy:
        yield Problem(
            "rendering_provider.taxonomy",
            f"{c.payer.name} requires {c.rendering.display_name}'s taxonomy code.",
        )
    elif taxonomy and not TAXONOMY.fullmatch(taxonomy):
        yield Problem(
            "rendering_provider.taxonomy",
            f"{c.rendering.display_name}'s taxonomy “{taxonomy}” is not a taxonomy code (ending in X).",
        )


@rule("CLM-PRV-002", W, "The rendering provider still works at the practice")
def rendering_active(c: ClaimContext) -> Iterator[Problem]:
    if not c.rendering.is_active:
        yield Problem(
            "rendering_provider", f"{c.rendering.display_name} is marked inactive; check the provider."
        )


def _referring_npi(c: ClaimContext) -> str:
    return c.referring.npi if c.referring is not None else c.encounter.referring_npi


@rule("CLM-REF-001", E, "A referring provider is named when the payer requires one")
def referring_required(c: ClaimContext) -> Iterator[Problem]:
    if c.payer.requires_referring_provider and not _referring_npi(c):
        yield Problem(
            "encounter.referring_provider", f"{c.payer.name} requires the referring provider and NPI."
        )


@rule("CLM-NPI-003", E, "The referring provider's NPI is valid")
def referring_npi(c: ClaimContext) -> Iterator[Problem]:
    npi = _referring_npi(c)
    if npi and not npi_check_digit_ok(npi):
        yield Problem(
            "encounter.referring_npi",
            f"The referring provider's NPI “{npi}” is not a valid NPI (10 digits, check digit).",
        )


@rule("CLM-REF-002", E, "An outside referring provider has a name and an NPI")
def referring_named(c: ClaimContext) -> Iterator[Problem]:
    if c.referring is not None:
        return
    named = bool(c.encounter.referring_last_name.strip())
    if named != bool(c.encounter.referring_npi) or (named and not c.encounter.referring_first_name.strip()):
        yield Problem(
            "encounter.referring_last_name",
            "Give the referring provider's first and last name together with their NPI.",
        )
