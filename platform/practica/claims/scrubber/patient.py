"""The patient (loop 2010BA or 2010CA): name, sex, address, date of birth, and the dates of service."""

from collections.abc import Iterator

from practica.claims.models import Severity
from practica.patients.models import Patient

from .context import ClaimContext
from .registry import Problem, rule
from .shapes import PERSON_NAME, US_STATES, ZIP

E, W = Severity.ERROR, Severity.WARNING


@rule("CLM-PAT-001", E, "The patient's name can be sent")
def patient_name(c: ClaimContext) -> Iterator[Problem]:
    for name in ("last_name", "first_name"):
        value = getattr(c.patient, name).strip()
        if not PERSON_NAME.fullmatch(value):
            label = name.replace("_", " ")
            yield Problem(
                f"patient.{name}",
                f"The patient's {label} “{value}” must be letters (with spaces, hyphens, apostrophes).",
            )


@rule("CLM-PAT-002", W, "The patient's sex is known")
def patient_sex(c: ClaimContext) -> Iterator[Problem]:
    if c.patient.sex not in (Patient.Sex.FEMALE, Patient.Sex.MALE):
        yield Problem(
            "patient.sex", "The patient's sex goes to the payer as unknown (U); many payers reject that."
        )


@rule("CLM-PAT-003", E, "The patient's address is complete")
def patient_address(c: ClaimContext) -> Iterator[Problem]:
    profile = c.profile
    if profile is None or not all(
        value.strip() for value in (profile.address_line1, profile.city, profile.state, profile.postal_code)
    ):
        yield Problem("patient.address_line1", "Enter the patient's street, city, state and ZIP code.")


@rule("CLM-PAT-004", E, "The patient's state is a US state code")
def patient_state(c: ClaimContext) -> Iterator[Problem]:
    state = c.profile.state.strip() if c.profile else ""
    if state and state.upper() not in US_STATES:
        yield Problem("patient.state", f"“{state}” is not a 2-letter US state code.")


@rule("CLM-PAT-005", E, "The patient's ZIP code is 5 or 9 digits")
def patient_zip(c: ClaimContext) -> Iterator[Problem]:
    postal = c.profile.postal_code.replace("-", "").strip() if c.profile else ""
    if postal and not ZIP.fullmatch(postal):
        yield Problem("patient.postal_code", f"The ZIP code “{postal}” is not 5 or 9 digits.")


@rule("CLM-DOB-001", E, "The patient's date of birth is not after the date of service")
def patient_born_before(c: ClaimContext) -> Iterator[Problem]:
    born = c.patient.date_of_birth
    if born > c.date_of_service or born > c.today:
        yield Problem(
            "patient.date_of_birth",
            f"The patient's date of birth ({born:%m/%d/%Y}) is after the date of service or today.",
        )


@rule("CLM-DOS-001", E, "The date of service is not in the future")
def service_not_future(c: ClaimContext) -> Iterator[Problem]:
    if c.date_of_service > c.today:
        yield Problem(
            "encounter.date_of_service",
            f"The date of service ({c.date_of_service:%m/%d/%Y}) is in the future; bill it once seen.",
        )
    for line in c.lines:
        if line.date_of_service > c.today:
            yield Problem(
                "line.date_of_service",
                f"Line {line.line_number}: date of service {line.date_of_service:%m/%d/%Y} is in the future.",
                line.line_number,
            )
