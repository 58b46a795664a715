"""The staff-facing surface of a practice (back-office pages and /api/v1/ endpoints), listed once.

The isolation and role tests are parametrised over these lists: a new page or endpoint is
covered by adding one line here.
"""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from portal.models import PortalAccount, ProxyLink
from practica.accounts.models import Membership
from practica.audit.models import AuditEvent
from practica.claims.models import (
    BatchClaim,
    Claim,
    ClaimStatus,
    CustomScrubRule,
    Encounter,
    FeeSchedule,
    FeeScheduleEntry,
    SubmissionBatch,
)
from practica.claims.services import ChargeInput, create_claim_from_encounter, save_charge_line, set_diagnoses
from practica.core.tenancy import use_public_schema, use_schema_of
from practica.denials.models import AppealLetter, DenialItem
from practica.eligibility import crypto as eligibility_crypto
from practica.eligibility.models import EligibilityCheck
from practica.intake.models import IntakeItem, IntakeResponse, IntakeSubmission
from practica.intake.services import add_question, packet_for_type
from practica.messaging.crypto import encrypt
from practica.messaging.models import Attachment
from practica.messaging.services import start_thread
from practica.patient_billing.desk import take_payment
from practica.patient_billing.models import LedgerEntry, Payment
from practica.patients.models import Patient
from practica.remittance.models import ClaimPayment, Remittance, RemittanceException
from practica.scheduling.booking import book_appointment
from practica.scheduling.models import Appointment, Location, Provider, Room
from practica.scheduling.waitlist import join_waitlist
from practica.statements.models import Statement, StatementRun
from tenants.models import Practice
from tests.claims.factories import CoverageFactory, PayerFactory, ProcedureCodeFactory, icd10
from tests.conftest import staff
from tests.factories import LocationFactory, PatientFactory, ProviderFactory
from tests.scheduling.factories import AppointmentTypeFactory, weekly_hours

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
    """A page or endpoint about one object: `{patient}`, `{location}`... are B's ids.

    `control`: B's own staff (or patient) reach the page with B's ids (a GET answers 200); False
    where the planted rows do not include what the page shows (a stored file)."""

    path: str
    method: str = "get"
    control: bool = True

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
    ObjectUrl("/patients/{patient}/merge/"),
    ObjectUrl("/patients/{patient}/merge/", "post"),
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
    ObjectUrl("/claims/{claim}/next-payer/", "post"),
    ObjectUrl("/claims/submissions/{batch}/"),
    ObjectUrl("/denials/{denial}/"),
    ObjectUrl("/denials/{denial}/", "post"),
    ObjectUrl("/denials/{denial}/appeal-letter/", "post"),
    ObjectUrl("/denials/{denial}/letters/{appeal_letter}/", control=False),
    ObjectUrl("/remittance/payments/{remittance}/"),
    ObjectUrl("/remittance/exceptions/{remittance_exception}/"),
    ObjectUrl("/remittance/exceptions/{remittance_exception}/", "post"),
    ObjectUrl("/claims/setup/payers/{payer}/"),
    ObjectUrl("/claims/setup/payers/{payer}/", "post"),
    ObjectUrl("/claims/setup/procedures/{procedure}/"),
    ObjectUrl("/claims/setup/procedures/{procedure}/", "post"),
    ObjectUrl("/claims/setup/fees/{fee_schedule}/"),
    ObjectUrl("/claims/setup/fees/{fee_schedule}/", "post"),
    ObjectUrl("/claims/setup/scrub-rules/{scrub_rule}/"),
    ObjectUrl("/claims/setup/scrub-rules/{scrub_rule}/", "post"),
    ObjectUrl("/claims/setup/scrub-rules/{scrub_rule}/remove/", "post"),
    ObjectUrl("/patients/{patient}/insurance/front/", control=False),
    ObjectUrl("/setup/providers/{provider}/feed/"),
    ObjectUrl("/setup/providers/{provider}/week/"),
    ObjectUrl("/setup/providers/{provider}/week/", "post"),
    ObjectUrl("/setup/types/{visit}/"),
    ObjectUrl("/setup/types/{visit}/", "post"),
    ObjectUrl("/setup/rooms/{room}/"),
    ObjectUrl("/setup/rooms/{room}/delete/", "post"),
    ObjectUrl("/schedule/waitlist/{waitlist}/remove/", "post"),
    ObjectUrl("/schedule/appointments/{appointment}/"),
    ObjectUrl("/schedule/appointments/{appointment}/reschedule/", "post"),
    ObjectUrl("/schedule/appointments/{appointment}/cancel/", "post"),
    ObjectUrl("/schedule/appointments/{appointment}/status/", "post"),
    ObjectUrl("/schedule/appointments/{appointment}/check-in/"),
    ObjectUrl("/schedule/appointments/{appointment}/check-in/", "post"),
    ObjectUrl("/schedule/appointments/{appointment}/eligibility/", "post"),
    ObjectUrl("/eligibility/checks/{eligibility_check}/"),
    ObjectUrl("/messages/{thread}/"),
    ObjectUrl("/messages/{thread}/since/"),
    ObjectUrl("/messages/{thread}/close/", "post"),
    ObjectUrl("/messages/new/{patient}/", "post"),
    ObjectUrl("/messages/{thread}/attachments/{attachment}/", control=False),
    ObjectUrl("/intake/setup/{visit}/"),
    ObjectUrl("/intake/review/{submission}/"),
    ObjectUrl("/intake/files/{response}/", control=False),
    ObjectUrl("/billing/patients/{patient}/"),
    ObjectUrl("/billing/patients/{patient}/pay-link/", "post"),
    ObjectUrl("/billing/patients/{patient}/card/", "post"),
    ObjectUrl("/billing/patients/{patient}/fee/", "post"),
    ObjectUrl("/billing/payments/{payment}/refund/", "post"),
    ObjectUrl("/billing/receipts/{receipt}/"),
    ObjectUrl("/billing/receipts/{receipt}/pdf/"),
    ObjectUrl("/billing/receipts/{receipt}/email/", "post"),
    ObjectUrl("/portal/staff/invite/{patient}/", "post"),
    ObjectUrl("/portal/staff/registrations/{account}/confirm/", "post"),
    ObjectUrl("/portal/staff/registrations/{account}/merge/", "post"),
    ObjectUrl("/portal/staff/patients/{patient}/proxies/{proxy}/remove/", "post"),
    ObjectUrl("/api/v1/appointment-types/{visit}/"),
    ObjectUrl("/api/v1/appointment-types/{visit}/", "patch"),
    ObjectUrl("/api/v1/rooms/{room}/"),
    ObjectUrl("/api/v1/rooms/{room}/", "patch"),
    ObjectUrl("/api/v1/appointments/{appointment}/"),
    ObjectUrl("/api/v1/appointments/{appointment}/cancel/", "post"),
    ObjectUrl("/api/v1/appointments/{appointment}/reschedule/", "post"),
    ObjectUrl("/api/v1/appointments/{appointment}/status/", "post"),
    ObjectUrl("/api/v1/waitlist/{waitlist}/"),
    ObjectUrl("/api/v1/waitlist/{waitlist}/", "delete"),
    ObjectUrl("/api/v1/patients/{patient}/sms-consent/", "post"),
    ObjectUrl("/statements/runs/{statement_run}/"),
    ObjectUrl("/statements/patients/{patient}/"),
    ObjectUrl("/statements/patients/{patient}/action/", "post"),
    ObjectUrl("/statements/{statement}/pdf/", control=False),
    ObjectUrl("/statements/runs/{statement_run}/print.pdf", control=False),
]

# The patient portal's pages about one object, swept with a patient of A signed in at A: B's ids
# (B's patient's appointment, thread, waitlist entry, payment...) answer 404.
PORTAL_OBJECT_URLS = [
    ObjectUrl("/portal/appointments/{appointment}/"),
    ObjectUrl("/portal/appointments/{appointment}/calendar.ics"),
    ObjectUrl("/portal/appointments/{appointment}/cancel/"),
    ObjectUrl("/portal/appointments/{appointment}/cancel/", "post"),
    ObjectUrl("/portal/appointments/{appointment}/reschedule/"),
    ObjectUrl("/portal/appointments/{appointment}/reschedule/confirm/", "post"),
    ObjectUrl("/portal/appointments/{appointment}/deposit/", "post"),
    ObjectUrl("/portal/waitlist/{waitlist}/leave/", "post"),
    ObjectUrl("/portal/forms/{appointment}/"),
    ObjectUrl("/portal/forms/{appointment}/signed.pdf", control=False),
    ObjectUrl("/portal/forms/files/{response}/", control=False),
    ObjectUrl("/portal/messages/{thread}/"),
    ObjectUrl("/portal/messages/{thread}/since/"),
    ObjectUrl("/portal/messages/{thread}/attachments/{attachment}/", control=False),
    ObjectUrl("/portal/profile/switch/{proxied}/", "post"),
    ObjectUrl("/portal/balance/payments/{payment}/"),
    ObjectUrl("/portal/statements/{statement}/pdf/", control=False),
]

# Links whose id is honoured only with a valid signed token: B's id with a made-up token gets the
# same answer as an id that exists nowhere.
SIGNED_LINK_URLS = [
    ObjectUrl("/portal/password-reset/{account}/not-a-token/"),
    ObjectUrl("/login/reset/{staff}/not-a-token/"),
]

LIST_URLS = [
    ListUrl("/patients/?q=Quixote", "patient"),
    ListUrl("/patients/", "patient"),
    ListUrl("/patients/search.json?q=Quixote", "patient"),
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
    ListUrl("/remittance/", "payer"),
    ListUrl("/remittance/exceptions/", "payer"),
    ListUrl("/claims/setup/", "payer"),
    ListUrl("/claims/setup/scrub-rules/", "payer"),
    ListUrl("/denials/", "patient"),
    ListUrl("/denials/", "payer"),
    ListUrl("/eligibility/problems/", "patient"),
]


def plant_rows(practice: Practice, *, above: Practice | None = None) -> dict[str, str]:
    """Rows in `practice` carrying B_MARKERS; returns their ids by kind.

    Audit events have per-schema integer ids, so the planted event's id is pushed past every
    id in `above` (the other practice): otherwise "guessing" it would hit that practice's own row.
    """
    ceiling = receipts = 0
    if above is not None:
        use_schema_of(above)
        ceiling = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        receipts = LedgerEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    use_schema_of(practice)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), %s)", [ceiling + 1000]
        )
        # Ledger entries (receipts) have per-schema integer ids too.
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('billing_ledgerentry', 'id'), %s)", [receipts + 1000]
        )
    patient = PatientFactory.create(first_name="Ada", last_name=B_MARKERS["patient"])
    location = LocationFactory.create(name=B_MARKERS["location"])
    provider = ProviderFactory.create(display_name=B_MARKERS["provider"])
    audit_event = AuditEvent.objects.filter(object_id=str(patient.pk)).latest("id")
    billing = plant_billing(patient, location, provider)
    ids = {
        "patient": str(patient.pk),
        "location": str(location.pk),
        "provider": str(provider.pk),
        "audit": str(audit_event.pk),
    }
    ids |= billing | _plant_scheduling_and_portal_rows(practice, patient, location, provider)
    use_public_schema()
    member = staff(practice, "front_desk", full_name=B_MARKERS["staff"])
    ids["staff"] = str(Membership.objects.get(user=member, practice=practice).pk)
    return ids


def _plant_scheduling_and_portal_rows(
    practice: Practice, patient: Patient, location: Location, provider: Provider
) -> dict[str, str]:
    """B's patient with a portal account, a booked visit (its forms opened, one answer), a room,
    a waitlist entry, a secure-message thread with an attachment, a payment and a proxy link."""
    provider.locations.add(location)
    weekly_hours(provider, location, datetime.time(8), datetime.time(18), weekdays=list(range(7)))
    visit = AppointmentTypeFactory.create(min_notice_minutes=0)
    room = Room.objects.create(location=location, name="Room B")
    account = PortalAccount.objects.create(
        patient=patient, email="ada-b@example.org", password="!", email_verified_at=timezone.now()
    )
    start = (timezone.now() + datetime.timedelta(days=2)).replace(hour=15, minute=0, second=0, microsecond=0)
    appointment = book_appointment(
        patient=patient,
        appointment_type=visit,
        provider=provider,
        location=location,
        start=start,
        source=Appointment.Source.STAFF,
        override=True,
    ).appointment
    waiting = join_waitlist(
        patient=patient,
        appointment_type=visit,
        earliest=start + datetime.timedelta(days=1),
        latest=start + datetime.timedelta(days=5),
    )
    thread = start_thread(patient, "A question for the care team")
    message = thread.messages.first()
    assert message is not None
    attachment = Attachment.objects.create(
        message=message,
        file="b/attachment.bin",
        name_ciphertext=encrypt("b.pdf"),
        content_type="application/pdf",
        size=1,
    )
    submission = IntakeSubmission.objects.create(appointment=appointment, patient=patient)
    item = add_question(packet_for_type(visit), label="Allergies", field_type=IntakeItem.FieldType.SHORT_TEXT)
    response = IntakeResponse.objects.create(submission=submission, item=item, answer="None")
    payment = Payment.objects.create(patient=patient, purpose=Payment.Purpose.BALANCE, amount_cents=100)
    receipt = take_payment(patient, 100, method=LedgerEntry.Method.CASH, by=None, location=location)
    proxied = PatientFactory.create(first_name="Kid", last_name="Bee")
    proxy = ProxyLink.objects.create(account=account, patient=proxied)
    return {
        "visit": str(visit.pk),
        "room": str(room.pk),
        "appointment": str(appointment.pk),
        "waitlist": str(waiting.pk),
        "thread": str(thread.pk),
        "attachment": str(attachment.pk),
        "submission": str(submission.pk),
        "response": str(response.pk),
        "payment": str(payment.pk),
        "receipt": str(receipt.pk),
        "account": str(account.pk),
        "proxy": str(proxy.pk),
        "proxied": str(proxied.pk),
    }


def plant_billing(patient: Patient, location: Location, provider: Provider) -> dict[str, str]:
    """B's coded visit with unbilled charges, a ready claim to B's payer, a batch sent to it, and
    B's billing setup (payer, procedure, fee schedule)."""
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
    denial = DenialItem.objects.create(
        claim=claim, payer=payer, patient=patient, source_key="b:1", reason_codes=["CO-50"],
        category="medical_necessity", amount_cents=9900, denied_on=day, due_on=day,
    )  # fmt: skip
    # A letter's row only: the file itself is not planted.
    letter = AppealLetter.objects.create(item=denial, pdf="denials/appeals/planted.pdf")
    # The payer's answer about the coverage: inactive, so a booked visit of the patient is a problem.
    answer = EligibilityCheck.objects.create(
        coverage=coverage, service_date=timezone.localdate(), requested_at=timezone.now(),
        completed_at=timezone.now(), status="inactive",
        raw_271_encrypted=eligibility_crypto.encrypt("ISA*00~"),
    )  # fmt: skip
    long_ago = timezone.now() - datetime.timedelta(days=100)
    LedgerEntry.objects.create(patient=patient, kind="charge", amount_cents=9900, posted_at=long_ago)
    run = StatementRun.objects.create(period=day.replace(day=1), trigger=StatementRun.Trigger.ON_DEMAND)
    statement = Statement.objects.create(
        run=run, patient=patient, period=run.period, statement_date=day, due_date=day,
        cutoff=timezone.now(), amount_due_cents=9900,
    )  # fmt: skip
    schedule = FeeSchedule.objects.create(name="Fees", payer=payer, effective_from=day)
    FeeScheduleEntry.objects.create(schedule=schedule, procedure=procedure, fee_cents=9900)
    rule = CustomScrubRule.objects.create(
        name=f"{B_MARKERS['payer']} needs a group", field="coverage.group_number", operator="is_empty",
        message="Add the group number.", payer=payer,
    )  # fmt: skip
    remittance = Remittance.objects.create(
        payer_name=B_MARKERS["payer"], trace_number="B-TRACE", total_paid_cents=0
    )
    held = ClaimPayment.objects.create(
        remittance=remittance, position=1, patient_control_number="B-UNKNOWN", status_code="1",
        charge_cents=9900, paid_cents=0, patient_last_name=B_MARKERS["patient"],
    )  # fmt: skip
    exception = RemittanceException.objects.create(
        remittance=remittance, claim_payment=held, kind=RemittanceException.Kind.UNMATCHED_CLAIM,
        message=f"No claim B-UNKNOWN from {B_MARKERS['payer']}",
    )  # fmt: skip
    return {
        "remittance": str(remittance.pk),
        "remittance_exception": str(exception.pk),
        "encounter": str(unbilled.pk),
        "claim": str(claim.pk),
        "batch": str(batch.pk),
        "denial": str(denial.pk),
        "eligibility_check": str(answer.pk),
        "appeal_letter": str(letter.pk),
        "payer": str(payer.pk),
        "procedure": str(procedure.pk),
        "fee_schedule": str(schedule.pk),
        "scrub_rule": str(rule.pk),
        "statement_run": str(run.pk),
        "statement": str(statement.pk),
    }
