"""The demo practices' billing: a billing profile, payers, coverages, procedures and fees, and a
week of completed visits coded through the claims services, each with a draft claim (scrubbed on
save); every third visit leaves its lines unpointed, so its claim has scrub findings to fix."""

import datetime
import random
from zoneinfo import ZoneInfo

from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from practica.claims.errors import ClaimsError
from practica.claims.models import (
    AppointmentTypeProcedure,
    BillingProfile,
    Encounter,
    FeeSchedule,
    FeeScheduleEntry,
    ProcedureCode,
)
from practica.claims.services import ChargeInput, create_claim_from_encounter, save_charge_line, set_diagnoses
from practica.codesets.models import Icd10Code
from practica.insurance.models import Coverage, Payer
from practica.patients.models import Patient, PatientProfile
from practica.scheduling.booking import set_status
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from practica.scheduling.validators import with_check_digit

PROCEDURES = [("99203", "New patient visit, 30 min", 15000), ("99213", "Office visit, 15 min", 11000),
              ("99396", "Preventive visit 40-64", 22000), ("36415", "Venipuncture", 1500),
              ("81003", "Urinalysis, automated", 1200)]  # fmt: skip
TYPE_PROCEDURES = {
    "New patient visit": ["99203"],
    "Follow-up": ["99213"],
    "Annual physical": ["99396", "36415"],
}
PAYERS = [
    ("Lakeview Health", "LKV01", "CI"),
    ("Prairie Medicare", "PRM02", "MB"),
    ("Summit Blue", "SMB03", "BL"),
]
DIAGNOSES = ["I10", "E11.9", "J06.9", "Z00.00", "M54.50", "E78.5"]


def seed_billing(slug: str, name: str, rng: random.Random) -> None:
    if not BillingProfile.objects.exists():
        _setup(slug, name, rng)
    loaded = Icd10Code.objects.filter(code__in=DIAGNOSES, billable=True).count() == len(DIAGNOSES)
    if Encounter.objects.exists() or not loaded:
        return  # seeded already, or the code set is not loaded (bin/run loads it first)
    _past_week_of_visits(rng)


def _setup(slug: str, name: str, rng: random.Random) -> None:
    BillingProfile.objects.create(
        legal_name=f"{name} LLC", group_npi=with_check_digit(f"1{rng.randrange(10**8):08d}"),
        ein="123456789", taxonomy="207Q00000X", address_line1="10 Main St", city="Springfield", state="IL",
        postal_code="627041234", submitter_id=slug.upper(), submitter_name=name,
        submitter_contact_name="Billing office", submitter_contact_phone="2175550100",
        receiver_id="DEMOCH", receiver_name="Demo Clearinghouse",
        isa_sender_id=slug.upper(), isa_receiver_id="DEMOCH",
    )  # fmt: skip
    procedures = {
        code: ProcedureCode.objects.create(code=code, label=label, default_fee_cents=fee)
        for code, label, fee in PROCEDURES
    }
    for type_ in AppointmentType.objects.all():
        for position, code in enumerate(TYPE_PROCEDURES.get(type_.name, []), start=1):
            AppointmentTypeProcedure.objects.create(
                appointment_type=type_, procedure=procedures[code], position=position
            )
    payers = [
        Payer.objects.get_or_create(
            name=n, defaults={"payer_ids": {"folder": pid}, "claim_filing_indicator": ind}
        )[0]
        for n, pid, ind in PAYERS
    ]
    today = timezone.localdate()
    schedule = FeeSchedule.objects.create(
        name="Lakeview contract", payer=payers[0], effective_from=today.replace(day=1)
    )
    FeeScheduleEntry.objects.create(schedule=schedule, procedure=procedures["99213"], fee_cents=9800)
    for n, patient in enumerate(Patient.objects.order_by("last_name", "first_name")):
        PatientProfile.objects.update_or_create(
            patient=patient,
            defaults={
                "address_line1": f"{20 + n} Oak Ave",
                "city": "Springfield",
                "state": "IL",
                "postal_code": "62704",
            },
        )
        if not Coverage.objects.filter(patient=patient).exists():
            Coverage.objects.create(
                patient=patient, payer=payers[n % len(payers)], member_id=f"{slug[:3].upper()}{n:07d}",
                subscriber_first_name=patient.first_name, subscriber_last_name=patient.last_name,
                subscriber_date_of_birth=patient.date_of_birth,
            )  # fmt: skip


def _past_week_of_visits(rng: random.Random) -> None:
    location = Location.objects.order_by("name").first()
    providers = list(Provider.objects.all())
    patients = list(Patient.objects.all())
    types = list(AppointmentType.objects.all())
    if location is None or not providers or not patients or not types:
        return
    for provider in providers:
        if not provider.taxonomy:
            provider.taxonomy = "207Q00000X"
            provider.save(update_fields=["taxonomy"])
    if not location.place_of_service:
        location.place_of_service = "11"
        location.save(update_fields=["place_of_service"])
    zone = ZoneInfo(location.time_zone)
    today = timezone.localdate(timezone=zone)
    visit_number = 0
    for days_ago in range(7, 0, -1):
        day = today - datetime.timedelta(days=days_ago)
        if day.weekday() >= 5:
            continue
        for hour in (9, 11, 15):
            type_ = rng.choice(types)
            start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=zone)
            end = start + datetime.timedelta(minutes=type_.duration_minutes)
            appointment = Appointment.objects.create(
                patient=rng.choice(patients), provider=rng.choice(providers), location=location,
                appointment_type=type_, start=start, end=end, occupancy=DateTimeTZRange(start, end),
                status=Appointment.Status.IN_ROOM, source=Appointment.Source.STAFF,
            )  # fmt: skip
            set_status(appointment, Appointment.Status.COMPLETED)
            encounter = appointment.encounter
            set_diagnoses(encounter, rng.sample(DIAGNOSES, 2))
            visit_number += 1
            if visit_number % 3:  # every third visit's lines are left for the biller to point
                for line in encounter.charge_lines.all():
                    save_charge_line(
                        encounter,
                        ChargeInput(procedure=line.procedure, units=line.units, pointers=[1, 2]),
                        line,
                    )
            try:
                create_claim_from_encounter(encounter)
            except ClaimsError:
                continue
