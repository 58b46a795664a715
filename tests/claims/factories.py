"""Revenue-cycle test data: payers, coverages, procedures, fee schedules, ICD-10-CM rows, visits."""

import datetime
from zoneinfo import ZoneInfo

import factory
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from practica.claims.models import BillingProfile, FeeSchedule, FeeScheduleEntry, ProcedureCode
from practica.codesets.models import Icd10Code
from practica.insurance.models import Coverage, Payer
from practica.patients.models import Patient
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from practica.scheduling.validators import with_check_digit


class PayerFactory(factory.django.DjangoModelFactory[Payer]):
    class Meta:
        model = Payer

    name = factory.Sequence(lambda n: f"Payer {n}")
    payer_ids = factory.Sequence(lambda n: {"folder": f"P{n:05d}"})


class CoverageFactory(factory.django.DjangoModelFactory[Coverage]):
    class Meta:
        model = Coverage

    payer = factory.SubFactory(PayerFactory)
    member_id = factory.Sequence(lambda n: f"M{n:08d}")
    subscriber_last_name = factory.LazyAttribute(lambda o: o.patient.last_name)
    subscriber_first_name = factory.LazyAttribute(lambda o: o.patient.first_name)
    subscriber_date_of_birth = factory.LazyAttribute(lambda o: o.patient.date_of_birth)


class ProcedureCodeFactory(factory.django.DjangoModelFactory[ProcedureCode]):
    class Meta:
        model = ProcedureCode
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{99000 + n % 1000:05d}")
    label = factory.LazyAttribute(lambda o: f"Procedure {o.code}")
    default_fee_cents = 10000


class BillingProfileFactory(factory.django.DjangoModelFactory[BillingProfile]):
    class Meta:
        model = BillingProfile
        django_get_or_create = ("singleton",)

    singleton = True
    legal_name = "Alpha Clinic LLC"
    group_npi = with_check_digit("123456789")
    ein = "123456789"
    taxonomy = "207Q00000X"
    address_line1 = "1 Main St"
    city = "Springfield"
    state = "IL"
    postal_code = "627041234"
    submitter_id = "ALPHA01"
    submitter_name = "Alpha Clinic"
    submitter_contact_name = "Billing Office"
    receiver_id = "CLEARHOUSE"
    receiver_name = "Clearing House"
    isa_sender_id = "ALPHA01"
    isa_receiver_id = "CLEARHOUSE"


def fee_schedule(
    fees: dict[ProcedureCode, int], effective_from: datetime.date, **where: object
) -> FeeSchedule:
    schedule = FeeSchedule.objects.create(name="Fees", effective_from=effective_from, **where)
    for procedure, cents in fees.items():
        FeeScheduleEntry.objects.create(schedule=schedule, procedure=procedure, fee_cents=cents)
    return schedule


def icd10(*codes: str) -> None:
    """Billable codes as the codes table holds them (E11.9 / E119), without loading the code set."""
    for code in codes:
        Icd10Code.objects.get_or_create(
            code=code,
            defaults={
                "compact": code.replace(".", ""),
                "description": f"Test diagnosis {code}",
                "billable": True,
                "category": code[:3],
                "edition": "test",
            },
        )


def visit(
    patient: Patient,
    provider: Provider,
    location: Location,
    appointment_type: AppointmentType,
    start: datetime.datetime,
    status: str = Appointment.Status.IN_ROOM,
) -> Appointment:
    end = start + datetime.timedelta(minutes=appointment_type.duration_minutes)
    return Appointment.objects.create(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        start=start,
        end=end,
        occupancy=DateTimeTZRange(start, end),
        status=status,
    )


NY = ZoneInfo("America/New_York")
