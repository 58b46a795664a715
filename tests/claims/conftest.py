import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from practica.claims.models import AppointmentTypeProcedure, ProcedureCode
from practica.insurance.models import Coverage, Payer
from practica.patients.models import Patient, PatientProfile
from practica.scheduling.models import AppointmentType, Location, Provider
from tenants.models import Practice
from tests.claims.factories import (
    NY,
    BillingProfileFactory,
    CoverageFactory,
    PayerFactory,
    ProcedureCodeFactory,
    icd10,
)
from tests.factories import make_clinic

# A Monday, 19:30 in New York: already Tuesday in UTC (the date of service is the local one).
VISIT_START = datetime.datetime(2026, 3, 2, 19, 30, tzinfo=NY)
DOS = datetime.date(2026, 3, 2)


@dataclass
class Billing:
    location: Location
    provider: Provider
    patient: Patient
    payer: Payer
    coverage: Coverage
    visit_type: AppointmentType
    office_visit: ProcedureCode
    injection: ProcedureCode


@pytest.fixture
def billing(practice_a: Practice, in_practice: Any) -> Iterator[Billing]:
    """A New York office with one provider, an insured patient (with an address: the scrubber wants
    one), and a visit type whose default procedures are an office visit and an injection (2 units).
    A claim coded from it passes every scrub rule."""
    with in_practice(practice_a):
        clinic = make_clinic(
            practice_a,
            location={"place_of_service": "11"},
            provider={"first_name": "Ada", "last_name": "Able", "taxonomy": "207Q00000X"},
            hours=None,
            visit={"name": "Follow-up"},
            patient={"sex": "F"},
        )
        patient, visit_type = clinic.patient, clinic.visit
        PatientProfile.objects.create(
            patient=patient, address_line1="12 Oak Ave", city="Springfield", state="IL", postal_code="62704"
        )
        payer = PayerFactory.create(name="Lakeview Health")
        coverage = CoverageFactory.create(patient=patient, payer=payer)
        office_visit = ProcedureCodeFactory.create(code="99213", default_fee_cents=12000)
        injection = ProcedureCodeFactory.create(code="96372", default_fee_cents=2500)
        AppointmentTypeProcedure.objects.create(
            appointment_type=visit_type, procedure=office_visit, position=1
        )
        AppointmentTypeProcedure.objects.create(
            appointment_type=visit_type, procedure=injection, units=2, position=2
        )
        BillingProfileFactory.create()
        icd10("E11.9", "I10", "Z00.00")
        yield Billing(
            clinic.location, clinic.provider, patient, payer, coverage, visit_type, office_visit, injection
        )
