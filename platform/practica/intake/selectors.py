"""Reads about intake: packets, what a patient still has to fill in, the review queue."""

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from practica.intake.models import IntakeItem, IntakePacket, IntakeResponse, IntakeSubmission
from practica.patients.models import Patient
from practica.scheduling.models import Appointment

NO_PACKET = "none"


def active_items(packet: IntakePacket) -> QuerySet[IntakeItem]:
    return packet.items.filter(is_active=True).prefetch_related("consent_texts")


def packet_for(appointment: Appointment) -> IntakePacket | None:
    return IntakePacket.objects.filter(appointment_type_id=appointment.appointment_type_id).first()


def intake_status_for(appointments: Iterable[Appointment]) -> dict[object, str]:
    """Each appointment's intake status (an IntakeSubmission.Status value, or "none" when its type
    has no packet), in two queries whatever the number of appointments: for calendars and lists."""
    appointments = list(appointments)
    with_packet = set(
        IntakePacket.objects.filter(
            appointment_type_id__in={a.appointment_type_id for a in appointments}, items__is_active=True
        ).values_list("appointment_type_id", flat=True)
    )
    submitted = dict(
        IntakeSubmission.objects.filter(appointment_id__in=[a.pk for a in appointments]).values_list(
            "appointment_id", "status"
        )
    )
    statuses: dict[object, str] = {}
    for appointment in appointments:
        if appointment.pk in submitted:
            statuses[appointment.pk] = submitted[appointment.pk]
        elif appointment.appointment_type_id in with_packet:
            statuses[appointment.pk] = IntakeSubmission.Status.OPEN
        else:
            statuses[appointment.pk] = NO_PACKET
    return statuses


def forms_to_fill(patient: Patient, upcoming: Iterable[Appointment]) -> list[Appointment]:
    """The patient's upcoming appointments whose packet is still theirs to fill in."""
    upcoming = list(upcoming)
    statuses = intake_status_for(upcoming)
    waiting = {IntakeSubmission.Status.OPEN, IntakeSubmission.Status.NEEDS_ATTENTION}
    return [a for a in upcoming if a.patient_id == patient.pk and statuses[a.pk] in waiting]


def review_queue() -> QuerySet[IntakeSubmission]:
    """Packets waiting for the practice: oldest submission first."""
    return (
        IntakeSubmission.objects.filter(status=IntakeSubmission.Status.SUBMITTED)
        .select_related("patient", "appointment__location", "appointment__appointment_type")
        .order_by("submitted_at")
    )


def submission_with_responses(submission: IntakeSubmission) -> dict[object, IntakeResponse]:
    """The submission's responses by item id."""
    responses = submission.responses.select_related("consent_text", "item")
    return {r.item_id: r for r in responses}


def signed_consents(submission: IntakeSubmission) -> QuerySet[IntakeResponse]:
    return (
        submission.responses.filter(signed_at__isnull=False)
        .select_related("consent_text", "item")
        .order_by("item__position", "item__label")
    )


def submissions_prefetched() -> QuerySet[IntakeSubmission]:
    return IntakeSubmission.objects.select_related(
        "patient", "appointment__appointment_type"
    ).prefetch_related(
        Prefetch("responses", queryset=IntakeResponse.objects.select_related("item", "consent_text"))
    )
