"""Text that would break the X12 file: its delimiters, line breaks, characters outside printable
ASCII. X12 has no escaping, so such text must be corrected, not sent."""

import re
from collections.abc import Iterator

from practica.claims.models import Severity
from practica.x12.claim837 import Separators

from .context import ClaimContext
from .registry import Problem, rule

E = Severity.ERROR
_DEFAULT = Separators()
DELIMITERS = "".join(
    sorted({"~", "*", ":", "^", _DEFAULT.element, _DEFAULT.component, _DEFAULT.repetition, _DEFAULT.segment})
)
_BAD = re.compile(f"[{re.escape(DELIMITERS)}]|[^\\x20-\\x7e]")


_OWNERS = {
    "billing_profile": "The practice's",
    "patient": "The patient's",
    "coverage": "The coverage's",
    "payer": "The payer's",
    "rendering_provider": "The rendering provider's",
    "referring_provider": "The referring provider's",
    "encounter": "The visit's",
    "location": "The location's",
    "claim": "The claim's",
}


def _texts(c: ClaimContext) -> Iterator[tuple[str, str]]:
    """Every text of the claim that goes into the file, by field."""
    if c.billing is not None:
        for name in (
            "legal_name", "address_line1", "address_line2", "city", "phone",
            "pay_to_address_line1", "pay_to_address_line2", "pay_to_city",
            "submitter_id", "submitter_name", "submitter_contact_name", "submitter_contact_phone",
            "submitter_contact_email", "receiver_id", "receiver_name",
        ):  # fmt: skip
            yield f"billing_profile.{name}", getattr(c.billing, name)
    for name in ("first_name", "last_name"):
        yield f"patient.{name}", getattr(c.patient, name)
    if c.profile is not None:
        for name in ("address_line1", "address_line2", "city", "state", "postal_code"):
            yield f"patient.{name}", getattr(c.profile, name)
    for name in (
        "member_id", "group_number", "group_name", "subscriber_last_name", "subscriber_first_name",
        "subscriber_middle_name", "subscriber_suffix", "subscriber_address_line1",
        "subscriber_address_line2", "subscriber_city", "subscriber_state", "subscriber_postal_code",
    ):  # fmt: skip
        yield f"coverage.{name}", getattr(c.coverage, name)
    for name in ("name", "address_line1", "address_line2", "city", "state", "postal_code"):
        yield f"payer.{name}", getattr(c.payer, name)
    yield "payer.payer_ids", c.payer.payer_id_for(c.reference.clearinghouse)
    for name in ("first_name", "last_name", "taxonomy"):
        yield f"rendering_provider.{name}", getattr(c.rendering, name)
    if c.referring is not None:
        yield "referring_provider.first_name", c.referring.first_name
        yield "referring_provider.last_name", c.referring.last_name
    for name in ("referring_first_name", "referring_last_name"):
        yield f"encounter.{name}", getattr(c.encounter, name)
    for name in ("name", "address_line1", "address_line2", "city"):
        yield f"location.{name}", getattr(c.location, name)
    for name in ("patient_control_number", "prior_authorization_number", "original_claim_number"):
        yield f"claim.{name}", getattr(c.claim, name)


@rule("CLM-X12-001", E, "No text holds X12 delimiters or characters the file cannot carry")
def no_delimiters(c: ClaimContext) -> Iterator[Problem]:
    for field, value in _texts(c):
        bad = sorted(set(_BAD.findall(value or "")))
        if bad:
            shown = ", ".join(repr(char) for char in bad)
            owner, name = field.split(".")
            yield Problem(
                field,
                f"{_OWNERS[owner]} {name.replace('_', ' ')} holds {shown}, which a claim file cannot carry "
                f"({' '.join(DELIMITERS)} are X12 delimiters; accents and line breaks are not allowed): "
                "change the text.",
            )
