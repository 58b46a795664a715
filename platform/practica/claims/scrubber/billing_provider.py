"""The practice as billing provider (loop 2010AA): its NPI, EIN, taxonomy and street address."""

from collections.abc import Iterator

from stdnum.us import ein

from practica.claims.models import Severity
from practica.scheduling.validators import npi_check_digit_ok

from .context import ClaimContext
from .registry import Problem, rule
from .shapes import PO_BOX, TAXONOMY, US_STATES, ZIP_PLUS_FOUR

E, W = Severity.ERROR, Severity.WARNING


@rule("CLM-BIL-001", E, "The practice has a billing profile")
def billing_profile_exists(c: ClaimContext) -> Iterator[Problem]:
    if c.billing is None:
        yield Problem(
            "billing_profile", "Set up the practice's billing profile (legal name, NPI, EIN, address)."
        )


@rule("CLM-NPI-001", E, "The billing provider's NPI is valid")
def billing_npi(c: ClaimContext) -> Iterator[Problem]:
    if c.billing and not npi_check_digit_ok(c.billing.group_npi):
        yield Problem(
            "billing_profile.group_npi",
            f"The practice's group NPI “{c.billing.group_npi}” is not a valid NPI (10 digits, check digit).",
        )


@rule("CLM-EIN-001", E, "The billing provider's EIN is valid")
def billing_ein(c: ClaimContext) -> Iterator[Problem]:
    if c.billing and not (c.billing.ein.isdigit() and ein.is_valid(c.billing.ein)):
        yield Problem(
            "billing_profile.ein",
            f"The practice's EIN “{c.billing.ein}” is not a valid tax id (9 digits, an IRS prefix, no dash).",
        )


@rule("CLM-TAX-001", E, "The billing provider's taxonomy is given when the payer asks, and well formed")
def billing_taxonomy(c: ClaimContext) -> Iterator[Problem]:
    if c.billing is None:
        return
    taxonomy = c.billing.taxonomy
    if not taxonomy and c.payer.requires_taxonomy:
        yield Problem("billing_profile.taxonomy", f"{c.payer.name} requires the practice's taxonomy code.")
    elif taxonomy and not TAXONOMY.fullmatch(taxonomy):
        yield Problem(
            "billing_profile.taxonomy",
            f"The practice's taxonomy “{taxonomy}” is not a taxonomy code (10 characters ending in X).",
        )


@rule("CLM-ADR-001", E, "The billing address is a street address, not a PO box")
def billing_not_po_box(c: ClaimContext) -> Iterator[Problem]:
    if c.billing is None:
        return
    for name in ("address_line1", "address_line2"):
        if PO_BOX.search(getattr(c.billing, name)):
            yield Problem(
                f"billing_profile.{name}",
                "The billing address must be a street address, not a PO box (the pay-to address may be one).",
            )


@rule("CLM-ADR-002", E, "The billing address has a ZIP+4")
def billing_zip_plus_four(c: ClaimContext) -> Iterator[Problem]:
    if c.billing and not ZIP_PLUS_FOUR.fullmatch(c.billing.postal_code):
        yield Problem(
            "billing_profile.postal_code",
            "The billing address needs the full ZIP+4 (9 digits; the extension is not 0000).",
        )


@rule("CLM-ADR-003", E, "The billing address is complete")
def billing_address_complete(c: ClaimContext) -> Iterator[Problem]:
    if c.billing is None:
        return
    if not c.billing.address_line1.strip() or not c.billing.city.strip():
        yield Problem("billing_profile.address_line1", "The billing address needs a street and a city.")
    if c.billing.state not in US_STATES:
        yield Problem("billing_profile.state", f"“{c.billing.state}” is not a US state code.")
