"""Reads of secure messaging. Internal notes leave here only for staff."""

from uuid import UUID

from django.db.models import Count, F, Q, QuerySet

from practica.accounts.models import User
from practica.messaging.models import Attachment, Message, Thread
from practica.patients.models import Patient

INBOX_FILTERS = ("open", "unread", "mine", "unassigned", "closed")


def staff_inbox(user: User, view: str = "open") -> QuerySet[Thread]:
    """Threads for the care-team inbox, the latest message first, each with `unread`: patient
    messages the staff have not read. `unread` (the view) keeps the open threads with any."""
    threads = (
        Thread.objects.select_related("patient", "assigned_to")
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__author=Message.Author.PATIENT, messages__kind=Message.Kind.MESSAGE)
                & (Q(staff_read_at__isnull=True) | Q(messages__created_at__gt=F("staff_read_at"))),
            )
        )
        .order_by("-last_message_at", "-pk")
    )
    if view == "closed":
        return threads.filter(status=Thread.Status.CLOSED)
    threads = threads.filter(status=Thread.Status.OPEN)
    if view == "unread":
        return threads.filter(unread__gt=0)
    if view == "mine":
        return threads.filter(assigned_to=user)
    if view == "unassigned":
        return threads.filter(assigned_to__isnull=True)
    return threads


def patient_threads(patient: Patient) -> QuerySet[Thread]:
    """The patient's own threads, each with `unread`: care-team messages they have not read."""
    return Thread.objects.filter(patient=patient).annotate(
        unread=Count(
            "messages",
            filter=Q(messages__author=Message.Author.STAFF, messages__kind=Message.Kind.MESSAGE)
            & (Q(patient_read_at__isnull=True) | Q(messages__created_at__gt=F("patient_read_at"))),
        )
    )


def thread_for_patient(patient: Patient, thread_id: UUID | str) -> Thread | None:
    return Thread.objects.filter(patient=patient, pk=thread_id).first()


def thread_for_staff(thread_id: UUID | str) -> Thread | None:
    return Thread.objects.select_related("patient", "assigned_to", "appointment").filter(pk=thread_id).first()


def messages_for_staff(thread: Thread, after_id: int = 0) -> QuerySet[Message]:
    return (
        thread.messages.filter(id__gt=after_id).select_related("author_user").prefetch_related("attachments")
    )


def messages_for_patient(thread: Thread, after_id: int = 0) -> QuerySet[Message]:
    return thread.messages.filter(id__gt=after_id, kind=Message.Kind.MESSAGE).prefetch_related("attachments")


def attachment_for_staff(thread: Thread, attachment_id: UUID | str) -> Attachment | None:
    return Attachment.objects.filter(pk=attachment_id, message__thread=thread).first()


def attachment_for_patient(thread: Thread, attachment_id: UUID | str) -> Attachment | None:
    """Files of the thread's messages, never of its internal notes."""
    return Attachment.objects.filter(
        pk=attachment_id, message__thread=thread, message__kind=Message.Kind.MESSAGE
    ).first()


def thread_for_patient_id(patient_id: UUID | str, thread_id: UUID | str) -> Thread | None:
    return Thread.objects.select_related("patient").filter(patient_id=patient_id, pk=thread_id).first()
