"""Checking one coverage in real time: the 270 built from the coverage, sent through the practice's
real-time adapter, the 271 (or the reason none came) recorded. Called by the booking task, the
nightly batch and the check-in button alike."""

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from practica.eligibility import services
from practica.eligibility.models import EligibilityCheck, Trigger
from practica.eligibility.realtime import RealtimeClearinghouse, RealtimeFailed
from practica.insurance.models import Coverage, Relationship
from practica.x12.claim837 import InterchangeParty
from practica.x12.errors import X12WriteError
from practica.x12.inquiry270 import (
    EligibilityInquiry,
    InformationReceiver,
    Person,
    trace_originator,
    write_270,
)


@dataclass(frozen=True)
class Requester:
    """Who asks: the practice's NPI and name (loop 2100B), its EIN (TRN03) and envelope ids."""

    npi: str
    name: str
    ein: str = ""
    sender_id: str = "PRACTICA"
    receiver_id: str = "CLEARINGHOUSE"


def _sex(value: str) -> str:
    return value if value in ("F", "M") else "U"


def inquiry_for(
    coverage: Coverage, check: EligibilityCheck, requester: Requester, now: dt.datetime
) -> EligibilityInquiry:
    """The 270 of this check: the subscriber, or the subscriber and the patient as a dependent."""
    patient = coverage.patient
    payer_id = coverage.payer.payer_id_for("realtime") if coverage.payer else ""
    if not payer_id and coverage.payer:
        payer_id = next(iter(coverage.payer.payer_ids.values()), "")
    patient_person = Person(
        last=patient.last_name,
        first=patient.first_name,
        birth_date=patient.date_of_birth,
        sex=_sex(patient.sex),  # type: ignore[arg-type]
    )
    if coverage.relationship == Relationship.SELF:
        subscriber = Person(
            last=patient.last_name,
            first=patient.first_name,
            birth_date=patient.date_of_birth,
            sex=patient_person.sex,
            member_id=coverage.member_id,
        )
        dependent = None
    else:
        subscriber = Person(
            last=coverage.subscriber_last_name,
            first=coverage.subscriber_first_name,
            birth_date=coverage.subscriber_date_of_birth,
            sex=_sex(coverage.subscriber_sex),  # type: ignore[arg-type]
            member_id=coverage.member_id,
        )
        dependent = patient_person
    number = int(check.pk.int % 999_999_999) + 1
    return EligibilityInquiry(
        sender=InterchangeParty(requester.sender_id),
        receiver=InterchangeParty(requester.receiver_id),
        application_sender=requester.sender_id,
        application_receiver=requester.receiver_id,
        control_number=number,
        created=now.replace(tzinfo=None),
        reference=check.pk.hex[:20],
        payer_name=coverage.payer_name[:60],
        payer_id=payer_id,
        provider=InformationReceiver(npi=requester.npi, last=requester.name),
        subscriber=subscriber,
        dependent=dependent,
        trace_number=check.pk.hex[:20],
        trace_originator=trace_originator(requester.ein),
        service_types=tuple(check.service_types),
        service_date=check.service_date,
    )


def check_coverage(
    coverage: Coverage,
    *,
    clearinghouse: RealtimeClearinghouse,
    requester: Requester,
    service_date: dt.date,
    now: dt.datetime,
    trigger: str = Trigger.MANUAL,
    visit_service_type: str = "",
    appointment_id: UUID | None = None,
) -> EligibilityCheck:
    """Asks the payer now and records the answer. Never raises for the payer's or the network's
    faults: those are recorded as 'could not verify' with the reason."""
    check = services.begin_check(
        coverage,
        service_date=service_date,
        now=now,
        trigger=trigger,
        service_types=services.service_types_for(visit_service_type),
        appointment_id=appointment_id,
    )
    try:
        text = write_270(inquiry_for(coverage, check, requester, now))
    except X12WriteError as exc:
        return services.record_failure(check, f"the inquiry cannot be sent ({exc})", now=now)
    payer_id = coverage.payer.payer_id_for("realtime") if coverage.payer else ""
    try:
        answer = clearinghouse.exchange(text, payer_id=payer_id or "unknown")
    except RealtimeFailed as exc:
        return services.record_failure(check, str(exc), now=now)
    return services.record_response(check, answer, now=now)
