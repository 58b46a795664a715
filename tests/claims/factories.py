"""Revenue-cycle test data: payers, coverages, procedures, fee schedules, ICD-10-CM rows, visits."""

import datetime
from zoneinfo import ZoneInfo

import factory
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from practica.claims.models import BillingProfile, Claim, FeeSchedule, FeeScheduleEntry, ProcedureCode
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
    submitter_contact_phone = "2175550100"
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


# --- many claims at once (submission tests, the 837P benchmark) ----------------------------------


def _letters(n: int) -> str:
    """0 -> 'Aa', 1 -> 'Ab', ...: a distinct name part of letters only (names are letters)."""
    text = ""
    for _ in range(3):
        n, digit = divmod(n, 26)
        text = chr(ord("a") + digit) + text
    return text.capitalize()


def ready_claims(
    count: int,
    *,
    payers: int = 1,
    lines: int = 2,
    diagnoses: int = 2,
    dependent_every: int = 0,
    on: datetime.date = datetime.date(2026, 3, 2),
    status: str = "ready",
) -> list[Claim]:
    """`count` scrubbed claims (status `ready` unless told) of as many patients, spread over `payers`
    payers, each with `lines` lines and `diagnoses` diagnoses, written in bulk (a few statements
    per table, whatever the count) with control numbers from the practice's sequences. Every
    `dependent_every`-th patient is the subscriber's child. Needs the billing profile's practice."""
    from django.utils import timezone

    from practica.claims import numbers
    from practica.claims.models import ChargeLine, ClaimLine, Encounter, EncounterDiagnosis
    from practica.insurance.models import Relationship
    from practica.patients.models import PatientProfile

    BillingProfileFactory.create()
    codes = ("E11.9", "I10", "J06.9", "M54.50", "Z00.00", "R51.9")[:diagnoses]
    icd10(*codes)
    procedures = [
        ProcedureCodeFactory.create(code="99213", default_fee_cents=12500),
        ProcedureCodeFactory.create(code="36415", default_fee_cents=1250),
        ProcedureCodeFactory.create(code="81003", default_fee_cents=975),
    ]
    location, _ = Location.objects.get_or_create(
        npi=with_check_digit("155555555"),
        defaults={
            "name": "Main Office",
            "address_line1": "1 Main St",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "627041234",
            "place_of_service": "11",
        },
    )
    provider, _ = Provider.objects.get_or_create(
        npi=with_check_digit("166666666"),
        defaults={
            "display_name": "Dr Ada Able",
            "first_name": "Ada",
            "last_name": "Able",
            "taxonomy": "207Q00000X",
        },
    )
    payer_rows = [
        Payer.objects.get_or_create(
            name=f"Health Plan {n:02d}", defaults={"payer_ids": {"folder": f"HP{n:03d}"}}
        )[0]
        for n in range(payers)
    ]
    patients = Patient.objects.bulk_create(
        Patient(
            first_name="Pat",
            last_name=f"Doe-{_letters(n)}",
            date_of_birth=datetime.date(1950 + n % 50, 1 + n % 12, 1 + n % 28),
            sex="F" if n % 2 else "M",
        )
        for n in range(count)
    )
    PatientProfile.objects.bulk_create(
        PatientProfile(
            patient=p, address_line1=f"{10 + n} Elm St", city="Springfield", state="IL", postal_code="62701"
        )
        for n, p in enumerate(patients)
    )
    coverages = []
    for n, patient in enumerate(patients):
        child = bool(dependent_every) and n % dependent_every == 0
        coverages.append(
            Coverage(
                patient=patient,
                payer=payer_rows[n % payers],
                member_id=f"M{n:08d}",
                group_number="G100",
                relationship=Relationship.CHILD if child else Relationship.SELF,
                subscriber_last_name=patient.last_name,
                subscriber_first_name="Sam" if child else patient.first_name,
                subscriber_date_of_birth=datetime.date(1970, 6, 1) if child else patient.date_of_birth,
                subscriber_sex="F" if child else "",
                subscriber_address_line1="10 Elm St" if child else "",
                subscriber_city="Springfield" if child else "",
                subscriber_state="IL" if child else "",
                subscriber_postal_code="62701" if child else "",
            )
        )
    Coverage.objects.bulk_create(coverages)
    encounters = Encounter.objects.bulk_create(
        Encounter(
            patient=p,
            provider=provider,
            rendering_provider=provider,
            location=location,
            date_of_service=on,
            place_of_service="11",
            status=Encounter.Status.BILLED,
        )
        for p in patients
    )
    EncounterDiagnosis.objects.bulk_create(
        EncounterDiagnosis(encounter=e, position=i + 1, code=code)
        for e in encounters
        for i, code in enumerate(codes)
    )
    pointers = [p for p in (1, 2, 3, 4) if p <= diagnoses]
    charges = ChargeLine.objects.bulk_create(
        ChargeLine(
            encounter=e,
            position=i + 1,
            procedure=procedures[i % 3],
            units=1,
            unit_fee_cents=procedures[i % 3].default_fee_cents,
            charge_cents=procedures[i % 3].default_fee_cents,
            pointer_1=pointers[0],
            pointer_2=pointers[1] if len(pointers) > 1 else None,
            date_of_service=on,
            place_of_service="11",
        )
        for e in encounters
        for i in range(lines)
    )
    per_claim = sum(procedures[i % 3].default_fee_cents for i in range(lines))
    scrubbed = timezone.now()
    claims = Claim.objects.bulk_create(
        Claim(
            encounter=e,
            patient=p,
            coverage=c,
            payer=c.payer,
            patient_control_number=pcn,
            status=status,
            diagnosis_codes=list(codes),
            place_of_service="11",
            total_charge_cents=per_claim,
            scrubbed_at=scrubbed,
        )
        for e, p, c, pcn in zip(
            encounters, patients, coverages, numbers.patient_control_numbers(count), strict=True
        )
    )
    control = iter(numbers.line_control_numbers(count * lines))
    ClaimLine.objects.bulk_create(
        ClaimLine(
            claim=claim,
            charge_line=charge,
            line_number=charge.position,
            line_control_number=next(control),
            procedure_code=charge.procedure.code,
            modifiers=charge.modifiers,
            units=1,
            charge_cents=charge.charge_cents,
            diagnosis_pointers=charge.diagnosis_pointers,
            date_of_service=on,
            place_of_service="11",
        )
        for claim, n in zip(claims, range(count), strict=True)
        for charge in charges[n * lines : (n + 1) * lines]
    )
    return claims
