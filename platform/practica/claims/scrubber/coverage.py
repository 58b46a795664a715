"""The coverage billed and its payer (loops 2000B, 2010BA, 2010BB, 2000C): in force on the date of
service, the payer's id and plan kind, the member id, the subscriber and the patient's relationship,
timely filing and prior authorization."""

from collections.abc import Iterator

from practica.claims.models import Severity
from practica.insurance.models import ClaimFilingIndicator, Relationship

from .context import ClaimContext
from .registry import Problem, rule
from .shapes import MBI, MEMBER_ID, PAYER_ID

E, W = Severity.ERROR, Severity.WARNING
# PAT01: the relationships an 837P carries for a patient who is not the subscriber.
PATIENT_RELATIONSHIPS = frozenset({"01", "19", "20", "21", "39", "40", "53", "G8"})


@rule(
    "CLM-COV-001",
    E,
    "The coverage is in force on the date of service (dates, and the payer's latest eligibility answer)",
)
def coverage_in_force(c: ClaimContext) -> Iterator[Problem]:
    if not c.coverage.covers(c.date_of_service):
        yield Problem(
            "coverage.effective_from",
            f"The {c.payer.name} coverage was not in force on {c.date_of_service:%m/%d/%Y}; "
            "bill the coverage of that day or the patient.",
        )
        return
    answer = c.eligibility
    if answer is not None and answer[0] in ("inactive", "not_found"):
        said = "inactive" if answer[0] == "inactive" else "not found"
        yield Problem(
            "coverage.member_id",
            f"{c.payer.name} answered on {answer[1]:%m/%d/%Y} that this coverage was {said} on "
            f"{c.date_of_service:%m/%d/%Y}; update the patient's insurance or bill the patient.",
        )


@rule("CLM-COV-002", E, "The coverage is the patient's and names the claim's payer")
def coverage_matches(c: ClaimContext) -> Iterator[Problem]:
    if c.coverage.patient_id != c.claim.patient_id:
        yield Problem("claim.coverage", "The coverage billed belongs to another patient.")
    elif c.coverage.payer_id != c.claim.payer_id:
        yield Problem("claim.payer", "The claim's payer is not the coverage's payer; refresh the claim.")


@rule("CLM-PAY-001", E, "The payer has an id at the clearinghouse")
def payer_id(c: ClaimContext) -> Iterator[Problem]:
    value = c.payer.payer_id_for(c.reference.clearinghouse)
    if not PAYER_ID.fullmatch(value):
        yield Problem(
            "payer.payer_ids",
            f"Enter {c.payer.name}'s payer id for the clearinghouse (letters and digits)."
            if not value
            else f"{c.payer.name}'s payer id “{value}” must be letters and digits only.",
        )


@rule("CLM-PAY-002", E, "The payer's claim filing indicator is an insurance plan")
def filing_indicator(c: ClaimContext) -> Iterator[Problem]:
    code = c.payer.claim_filing_indicator
    if code not in ClaimFilingIndicator.values or code == ClaimFilingIndicator.SELF_PAY:
        yield Problem(
            "payer.claim_filing_indicator",
            f"Choose {c.payer.name}'s plan kind (claim filing indicator); self-pay is not billed to a payer.",
        )


@rule("CLM-PAY-003", W, "The payer is active")
def payer_active(c: ClaimContext) -> Iterator[Problem]:
    if not c.payer.is_active:
        yield Problem("payer.is_active", f"{c.payer.name} is marked inactive at the practice.")


@rule("CLM-MEM-001", E, "The member id is given and well formed")
def member_id(c: ClaimContext) -> Iterator[Problem]:
    if not MEMBER_ID.fullmatch(c.coverage.member_id.strip()):
        yield Problem(
            "coverage.member_id",
            "Enter the member id exactly as on the card (letters, digits and hyphens).",
        )


@rule("CLM-MEM-002", E, "A Medicare member id is an MBI")
def medicare_mbi(c: ClaimContext) -> Iterator[Problem]:
    if c.payer.is_medicare and not MBI.fullmatch(c.coverage.member_id.strip()):
        yield Problem(
            "coverage.member_id",
            f"“{c.coverage.member_id}” is not a Medicare Beneficiary Identifier (11 characters such as "
            "1EG4TE5MK73, without dashes).",
        )


def _not_subscriber(c: ClaimContext) -> bool:
    return c.coverage.relationship != Relationship.SELF


@rule("CLM-SUB-001", E, "A subscriber other than the patient is named")
def subscriber_named(c: ClaimContext) -> Iterator[Problem]:
    if _not_subscriber(c) and not (
        c.coverage.subscriber_last_name.strip() and c.coverage.subscriber_first_name.strip()
    ):
        yield Problem(
            "coverage.subscriber_last_name",
            "The patient is not the subscriber: enter the subscriber's first and last name.",
        )


@rule("CLM-SUB-002", E, "A subscriber other than the patient has a plausible date of birth")
def subscriber_born(c: ClaimContext) -> Iterator[Problem]:
    born = c.coverage.subscriber_date_of_birth
    if _not_subscriber(c) and (born is None or born > c.date_of_service):
        yield Problem(
            "coverage.subscriber_date_of_birth",
            "The patient is not the subscriber: enter the subscriber's date of birth (before the visit).",
        )


@rule("CLM-SUB-003", W, "A subscriber other than the patient has an address")
def subscriber_address(c: ClaimContext) -> Iterator[Problem]:
    cov = c.coverage
    if _not_subscriber(c) and not (
        cov.subscriber_address_line1.strip()
        and cov.subscriber_city.strip()
        and cov.subscriber_postal_code.strip()
    ):
        yield Problem(
            "coverage.subscriber_address_line1",
            "The patient is not the subscriber: most payers want the subscriber's address.",
        )


@rule("CLM-SUB-004", W, "A patient who is the subscriber has the subscriber's name and birth date")
def self_matches_subscriber(c: ClaimContext) -> Iterator[Problem]:
    cov, patient = c.coverage, c.patient
    if _not_subscriber(c):
        return
    named = cov.subscriber_last_name.strip()
    if (named and named.casefold() != patient.last_name.strip().casefold()) or (
        cov.subscriber_date_of_birth and cov.subscriber_date_of_birth != patient.date_of_birth
    ):
        yield Problem(
            "coverage.relationship",
            "The coverage says the patient is the subscriber, but the subscriber's name or date of birth "
            "differs: check the relationship.",
        )


@rule("CLM-SUB-005", E, "The patient's relationship to the subscriber can be billed")
def relationship_billable(c: ClaimContext) -> Iterator[Problem]:
    code = c.coverage.relationship
    if code != Relationship.SELF and code not in PATIENT_RELATIONSHIPS:
        yield Problem("coverage.relationship", "Choose the patient's relationship to the subscriber.")
    elif code != Relationship.SELF and c.payer.is_medicare:
        yield Problem(
            "coverage.relationship", "A Medicare patient is always their own subscriber (relationship self)."
        )


@rule("CLM-TFL-001", W, "The claim is sent before 80 % of the payer's filing limit")
def timely_filing_near(c: ClaimContext) -> Iterator[Problem]:
    limit, days = c.payer.timely_filing_days, (c.today - c.date_of_service).days
    if days * 5 >= limit * 4 and days <= limit:
        yield Problem(
            "encounter.date_of_service",
            f"{days} of {c.payer.name}'s {limit} days to file have passed: send this claim soon.",
        )


@rule("CLM-TFL-002", E, "The claim is within the payer's filing limit")
def timely_filing_past(c: ClaimContext) -> Iterator[Problem]:
    limit, days = c.payer.timely_filing_days, (c.today - c.date_of_service).days
    if days > limit:
        yield Problem(
            "encounter.date_of_service",
            f"{c.payer.name} takes claims within {limit} days of the visit; this one is {days} days old.",
        )


@rule("CLM-AUT-001", E, "A prior authorization number is given when the payer requires one")
def prior_authorization(c: ClaimContext) -> Iterator[Problem]:
    if c.payer.requires_prior_authorization and not c.claim.prior_authorization_number.strip():
        yield Problem(
            "claim.prior_authorization_number", f"{c.payer.name} requires the prior authorization number."
        )
