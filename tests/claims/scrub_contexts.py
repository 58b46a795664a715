"""Claims in memory (unsaved model instances) for testing scrub rules without the database: a clean
claim every rule passes, which each test then breaks, or bends without breaking, in one place."""

import datetime

from practica.claims.models import BillingProfile, Claim, ClaimLine, Encounter, ProcedureCode
from practica.claims.scrubber import ClaimContext, Reference
from practica.codesets.models import Icd10Code, PlaceOfService
from practica.codesets.places import PLACES_OF_SERVICE
from practica.insurance.models import ClaimFilingIndicator, Coverage, Payer
from practica.patients.models import Patient, PatientProfile
from practica.scheduling.models import Location, Provider
from practica.scheduling.validators import with_check_digit

TODAY = datetime.date(2026, 3, 20)
DOS = datetime.date(2026, 3, 2)
# Billable codes, a category (not billable) and an external cause, as the code table holds them.
ICD10 = {
    "E11.9": True, "I10": True, "Z00.00": True, "S72.001A": True, "W19.XXXA": True, "E11": False,
}  # fmt: skip


def clean_context(today: datetime.date = TODAY) -> ClaimContext:
    """A commercial claim for an office visit and an injection, two diagnoses, the patient insured
    as subscriber: every rule passes on it."""
    billing = BillingProfile(
        legal_name="Alpha Clinic LLC", group_npi=with_check_digit("123456789"), ein="123456789",
        taxonomy="207Q00000X", address_line1="1 Main St", city="Springfield", state="IL",
        postal_code="627041234", submitter_id="ALPHA01", submitter_name="Alpha Clinic",
        submitter_contact_name="Billing Office", receiver_id="CLEARHOUSE", receiver_name="Clearing House",
    )  # fmt: skip
    patient = Patient(
        first_name="Maria", last_name="Lopez", date_of_birth=datetime.date(1980, 5, 17), sex="F"
    )
    profile = PatientProfile(
        patient=patient, address_line1="12 Oak Ave", city="Springfield", state="IL", postal_code="62704"
    )
    payer = Payer(
        name="Lakeview Health", payer_ids={"folder": "87726"},
        claim_filing_indicator=ClaimFilingIndicator.COMMERCIAL, timely_filing_days=90,
    )  # fmt: skip
    coverage = Coverage(
        patient=patient, payer=payer, member_id="W123456789", subscriber_last_name="Lopez",
        subscriber_first_name="Maria", subscriber_date_of_birth=patient.date_of_birth,
        effective_from=datetime.date(2026, 1, 1),
    )  # fmt: skip
    provider = Provider(
        display_name="Dr Ada Able", first_name="Ada", last_name="Able",
        npi=with_check_digit("100000001"), taxonomy="207Q00000X",
    )  # fmt: skip
    location = Location(name="Main office", address_line1="1 Main St", city="Springfield", state="IL")
    encounter = Encounter(
        patient=patient, provider=provider, rendering_provider=provider, location=location,
        date_of_service=DOS, place_of_service="11",
    )  # fmt: skip
    claim = Claim(
        encounter=encounter, patient=patient, coverage=coverage, payer=payer,
        patient_control_number="PCN0001", place_of_service="11", diagnosis_codes=["E11.9", "I10"],
        total_charge_cents=17000,
    )  # fmt: skip
    lines = [
        ClaimLine(
            claim=claim, line_number=1, line_control_number="L1", procedure_code="99213", modifiers=[],
            units=1, charge_cents=12000, diagnosis_pointers=[1, 2], date_of_service=DOS,
            place_of_service="11",
        ),
        ClaimLine(
            claim=claim, line_number=2, line_control_number="L2", procedure_code="96372", modifiers=[],
            units=2, charge_cents=5000, diagnosis_pointers=[1], date_of_service=DOS, place_of_service="11",
        ),
    ]  # fmt: skip
    reference = Reference(
        today=today,
        billing=billing,
        diagnoses={
            code.replace(".", ""): Icd10Code(code=code, compact=code.replace(".", ""), billable=billable)
            for code, billable in ICD10.items()
        },
        procedures={code: ProcedureCode(code=code, label=code) for code in ("99213", "96372", "J1100")},
        places={
            code: PlaceOfService(code=code, label=label, telehealth=tele)
            for code, label, tele in PLACES_OF_SERVICE
        },
    )
    return ClaimContext(
        claim=claim, lines=lines, encounter=encounter, patient=patient, profile=profile, coverage=coverage,
        payer=payer, rendering=provider, referring=None, location=location, reference=reference,
    )  # fmt: skip
