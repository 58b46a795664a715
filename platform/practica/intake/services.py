"""Writes about intake: defining packets, a patient filling one in, the practice reviewing it."""

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.notices import plan_intake_follow_up
from practica.intake.errors import IntakeError
from practica.intake.models import ConsentText, IntakeItem, IntakePacket, IntakeResponse, IntakeSubmission
from practica.intake.uploads import check_upload, name_for_type
from practica.scheduling.models import Appointment, AppointmentType

# --- the practice defines packets -----------------------------------------------------------------


def packet_for_type(appointment_type: AppointmentType) -> IntakePacket:
    packet, _ = IntakePacket.objects.get_or_create(appointment_type=appointment_type)
    return packet


def _next_position(packet: IntakePacket) -> int:
    return (packet.items.aggregate(last=Max("position"))["last"] or 0) + 1


def add_question(
    packet: IntakePacket, *, label: str, field_type: str, required: bool = True, choices: str = ""
) -> IntakeItem:
    if field_type not in IntakeItem.FieldType.values:
        raise IntakeError("Choose a kind of answer.")
    item = IntakeItem(
        packet=packet,
        kind=IntakeItem.Kind.QUESTION,
        label=label,
        field_type=field_type,
        required=required,
        choices=choices,
        position=_next_position(packet),
    )
    if field_type == IntakeItem.FieldType.SINGLE_CHOICE and len(item.choice_list) < 2:
        raise IntakeError("A one-choice question needs at least two options, one a line.")
    item.save()
    return item


@transaction.atomic
def add_consent(packet: IntakePacket, *, label: str, body: str) -> IntakeItem:
    item = IntakeItem.objects.create(
        packet=packet, kind=IntakeItem.Kind.CONSENT, label=label, position=_next_position(packet)
    )
    ConsentText.objects.create(item=item, version=1, body=body)
    return item


@transaction.atomic
def revise_consent(item: IntakeItem, body: str) -> ConsentText:
    """A new wording, as a new version: signatures already given keep pointing at what was read."""
    item = IntakeItem.objects.select_for_update().get(pk=item.pk, kind=IntakeItem.Kind.CONSENT)
    last = item.consent_texts.aggregate(last=Max("version"))["last"] or 0
    return ConsentText.objects.create(item=item, version=last + 1, body=body)


def add_document_request(packet: IntakePacket, *, document_kind: str, required: bool = True) -> IntakeItem:
    if document_kind not in IntakeItem.DocumentKind.values:
        raise IntakeError("Choose which document to ask for.")
    return IntakeItem.objects.create(
        packet=packet,
        kind=IntakeItem.Kind.DOCUMENT,
        label=IntakeItem.DocumentKind(document_kind).label,
        document_kind=document_kind,
        required=required,
        position=_next_position(packet),
    )


def remove_item(item: IntakeItem) -> None:
    IntakeItem.objects.filter(pk=item.pk).update(is_active=False)


# --- the patient fills a packet in ----------------------------------------------------------------


def open_submission(appointment: Appointment) -> IntakeSubmission:
    submission, _ = IntakeSubmission.objects.get_or_create(
        appointment=appointment, defaults={"patient_id": appointment.patient_id}
    )
    return submission


@transaction.atomic
def submit_packet(
    submission: IntakeSubmission,
    *,
    answers: dict[Any, str],
    signatures: dict[Any, str],
    documents: dict[Any, UploadedFile],
    ip: str | None,
) -> IntakeSubmission:
    """Store what the patient gave (keyed by item id) and put the packet in the review queue.

    Values are already validated by the form; a changed answer goes back to "not reviewed"."""
    submission = IntakeSubmission.objects.select_for_update().get(pk=submission.pk)
    if submission.status == IntakeSubmission.Status.COMPLETE:
        raise IntakeError(_("These forms are complete; please contact the practice to change them."))
    items = {
        i.pk: i for i in submission.appointment.appointment_type.intake_packet.items.filter(is_active=True)
    }
    now = timezone.now()
    for item_id, value in answers.items():
        if value == "":
            # An optional question left blank is no answer, with nothing for the practice to review.
            IntakeResponse.objects.filter(submission=submission, item_id=item_id).delete()
            continue
        _respond(submission, items[item_id], answer=value)
    for item_id, name in signatures.items():
        item = items[item_id]
        _respond(
            submission,
            item,
            consent_text=item.current_consent_text(),
            signed_name=name,
            signed_at=now,
            signed_ip=ip,
        )
    for item_id, upload in documents.items():
        content_type = check_upload(upload)
        upload_name = name_for_type((upload.name or "document")[-190:], content_type)
        response = _respond(
            submission,
            items[item_id],
            new_file=True,
            document_content_type=content_type,
            document_name=upload_name,
        )
        if response.document:
            response.document.delete(save=False)
        response.document.save(upload_name, upload, save=True)
    submission.status = IntakeSubmission.Status.SUBMITTED
    submission.submitted_at = now
    submission.save(update_fields=["status", "submitted_at"])
    return submission


def _respond(
    submission: IntakeSubmission, item: IntakeItem, *, new_file: bool = False, **values: Any
) -> IntakeResponse:
    response, created = IntakeResponse.objects.get_or_create(
        submission=submission, item=item, defaults=values
    )
    changed = [field for field, value in values.items() if getattr(response, field) != value]
    if not created and (changed or new_file):
        # Only what changed goes back to review; an answer sent again as it was keeps its decision.
        for field in changed:
            setattr(response, field, values[field])
        response.review = IntakeResponse.Review.PENDING
        response.rejection_reason = ""
        response.save()
    return response


# --- the practice reviews -------------------------------------------------------------------------


def review_response(response: IntakeResponse, *, accepted: bool, reason: str = "") -> IntakeResponse:
    if not accepted and not reason.strip():
        raise IntakeError("Say why the item is rejected, so the patient can fix it.")
    response.review = IntakeResponse.Review.ACCEPTED if accepted else IntakeResponse.Review.REJECTED
    response.rejection_reason = "" if accepted else reason.strip()[:300]
    response.save(update_fields=["review", "rejection_reason", "updated_at"])
    return response


@transaction.atomic
def finish_review(submission: IntakeSubmission, *, reviewer_id: int) -> IntakeSubmission:
    """Complete when every required item has an accepted response; otherwise back to the patient,
    who is emailed (an outbox row) only that forms are waiting."""
    submission = IntakeSubmission.objects.select_for_update().get(pk=submission.pk)
    responses = {r.item_id: r for r in submission.responses.all()}
    items = submission.appointment.appointment_type.intake_packet.items.filter(is_active=True)
    outstanding = [
        item
        for item in items
        if (item.pk not in responses and item.required)
        or (item.pk in responses and responses[item.pk].review != IntakeResponse.Review.ACCEPTED)
    ]
    submission.reviewed_at = timezone.now()
    submission.reviewed_by_id = reviewer_id
    if outstanding:
        submission.status = IntakeSubmission.Status.NEEDS_ATTENTION
        plan_intake_follow_up(submission.appointment)  # emailed by the notification workers
    else:
        submission.status = IntakeSubmission.Status.COMPLETE
    submission.save(update_fields=["status", "reviewed_at", "reviewed_by_id"])
    return submission
