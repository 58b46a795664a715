"""The staff-facing surface of a practice (back-office pages and /api/v1/ endpoints), listed once.

The isolation and role tests are parametrised over these lists: a new page or endpoint is
covered by adding one line here.
"""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from practica.accounts.models import Membership
from practica.audit.models import AuditEvent
from practica.claims.models import BatchClaim, Claim, ClaimStatus, Encounter, SubmissionBatch
from practica.claims.services import ChargeInput, create_claim_from_encounter, save_charge_line, set_diagnoses
from practica.core.tenancy import use_public_schema, use_schema_of
from practica.patients.models import Patient
from practica.scheduling.models import Location, Provider
from tenants.models import Practice
from tests.claims.factories import CoverageFactory, PayerFactory, ProcedureCodeFactory, icd10
from tests.conftest import staff
from tests.factories import LocationFactory, PatientFactory, ProviderFactory

# Unusual words planted in practice B's rows: none of them may appear in a response to A.
B_MARKERS = {
    "patient": "Quixotebee",
    "location": "Zanzibarre Clinic",
    "provider": "Dr Vermillionaire",
    "staff": "Ottoline Farthingale",
    "audit": "Quixotebee",
    "payer": "Pelicanquill Mutual",
}


@dataclass(frozen=True)
class ObjectUrl:
    """A page or endpoint about one object: `{patient}`, `{location}`... are B's ids."""

    path: str
    method: str = "get"

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass(frozen=True)
class ListUrl:
    """A page or endpoint that lists or searches; `marker` is the kind of B row it could show."""

    path: str
    marker: str

    def __str__(self) -> str:
        return f"GET {self.path}"


OBJECT_URLS = [
    ObjectUrl("/patients/{patient}/"),
    ObjectUrl("/patients/{patient}/edit/"),
    ObjectUrl("/patients/{patient}/edit/", "post"),
    ObjectUrl("/patients/{patient}/profile/"),
    ObjectUrl("/patients/{patient}/profile/", "post"),
    ObjectUrl("/patients/{patient}/insurance/"),
    ObjectUrl("/patients/{patient}/insurance/", "post"),
    ObjectUrl("/portal/staff/patients/{patient}/proxies/", "post"),
    ObjectUrl("/portal/staff/patients/{patient}/two-factor/off/", "post"),
    ObjectUrl("/setup/locations/{location}/"),
    ObjectUrl("/setup/locations/{location}/", "post"),
    ObjectUrl("/setup/providers/{provider}/"),
    ObjectUrl("/setup/providers/{provider}/", "post"),
    ObjectUrl("/staff/{staff}/", "post"),
    ObjectUrl("/api/v1/patients/{patient}/"),
    ObjectUrl("/api/v1/patients/{patient}/", "patch"),
    ObjectUrl("/api/v1/locations/{location}/"),
    ObjectUrl("/api/v1/locations/{location}/", "patch"),
    ObjectUrl("/api/v1/providers/{provider}/"),
    ObjectUrl("/api/v1/providers/{provider}/", "patch"),
    ObjectUrl("/api/v1/staff/{staff}/"),
    ObjectUrl("/api/v1/audit-events/{audit}/"),
    ObjectUrl("/claims/encounters/{encounter}/"),
    ObjectUrl("/claims/encounters/{encounter}/", "post"),
    ObjectUrl("/claims/{claim}/"),
    ObjectUrl("/claims/{claim}/status/", "post"),
    ObjectUrl("/claims/submissions/{batch}/"),
]

LIST_URLS = [
    ListUrl("/patients/?q=Quixote", "patient"),
    ListUrl("/patients/", "patient"),
    ListUrl("/setup/", "location"),
    ListUrl("/setup/", "provider"),
    ListUrl("/staff/", "staff"),
    ListUrl("/audit/?type=patients.patient", "audit"),
    ListUrl("/api/v1/patients/?q=Quixote", "patient"),
    ListUrl("/api/v1/patients/", "patient"),
    ListUrl("/api/v1/locations/", "location"),
    ListUrl("/api/v1/providers/", "provider"),
    ListUrl("/api/v1/staff/", "staff"),
    ListUrl("/api/v1/audit-events/", "audit"),
    ListUrl("/claims/charges/", "patient"),
    ListUrl("/claims/", "patient"),
    ListUrl("/claims/", "payer"),
    ListUrl("/claims/?status=ready", "patient"),
    ListUrl("/claims/ready/", "patient"),
    ListUrl("/claims/submissions/", "payer"),
]


def plant_rows(practice: Practice, *, above: Practice | None = None) -> dict[str, str]:
    """Rows in `practice` carrying B_MARKERS; returns their ids by kind.

    Audit events have per-schema integer ids, so the planted event's id is pushed past every
    id in `above` (the other practice): otherwise "guessing" it would hit that practice's own row.
    """
    ceiling = 0
    if above is not None:
        use_schema_of(above)
        ceiling = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    use_schema_of(practice)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), %s)", [ceiling + 1000]
        )
    patient = PatientFactory.create(first_name="Ada", last_name=B_MARKERS["patient"])
    location = LocationFactory.create(name=B_MARKERS["location"])
    provider = ProviderFactory.create(display_name=B_MARKERS["provider"])
    audit_event = AuditEvent.objects.filter(object_id=str(patient.pk)).latest("id")
    billing = plant_billing(patient, location, provider)
    use_public_schema()
    member = staff(practice, "front_desk", full_name=B_MARKERS["staff"])
    return {
        "patient": str(patient.pk),
        "location": str(location.pk),
        "provider": str(provider.pk),
        "audit": str(audit_event.pk),
        "staff": str(Membership.objects.get(user=member, practice=practice).pk),
        **billing,
    }


def plant_billing(patient: Patient, location: Location, provider: Provider) -> dict[str, str]:
    """B's coded visit with unbilled charges, a ready claim to B's payer and a batch sent to it."""
    payer = PayerFactory.create(name=B_MARKERS["payer"])
    coverage = CoverageFactory.create(patient=patient, payer=payer)
    procedure = ProcedureCodeFactory.create(code="99213")
    icd10("I10")
    day = datetime.date(2026, 3, 2)
    unbilled, billed = (
        Encounter.objects.create(
            patient=patient, provider=provider, rendering_provider=provider, location=location,
            date_of_service=day, place_of_service="11",
        )
        for _ in range(2)
    )  # fmt: skip
    for encounter in (unbilled, billed):
        set_diagnoses(encounter, ["I10"])
        save_charge_line(encounter, ChargeInput(procedure=procedure, pointers=[1]))
    claim = create_claim_from_encounter(billed, coverage=coverage)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.READY, scrubbed_at=timezone.now())
    batch = SubmissionBatch.objects.create(
        payer=payer, file_name="b.837", isa_control_number=900001, gs_control_number=900001,
        st_control_number=900001, usage_indicator="T", claim_count=1,
    )  # fmt: skip
    BatchClaim.objects.create(batch=batch, claim=claim)
    return {"encounter": str(unbilled.pk), "claim": str(claim.pk), "batch": str(batch.pk)}
