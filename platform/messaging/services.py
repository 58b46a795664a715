"""Writes of secure messaging. Staff actions take the actor's role and check it here, so the
back office, the portal and the WebSocket share one rule."""

import logging
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Capability, role_can
from accounts.selectors import role_in_practice
from core.links import practice_url
from core.tenancy import current_schema
from messaging.errors import MessagingError, NotAllowed
from messaging.events import push_message_on_commit, push_thread_change_on_commit
from messaging.models import Message, Thread
from notifications.services import notify_patient
from patients.models import Patient
from scheduling.models import Appointment
from tenants.models import Practice

logger = logging.getLogger(__name__)

MAX_BODY_CHARS = 5000


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise MessagingError("Write a message first.")
    if len(text) > MAX_BODY_CHARS:
        raise MessagingError(f"A message can be at most {MAX_BODY_CHARS} characters.")
    return text


def _check_patient_rate(patient: Patient) -> None:
    """At most MESSAGING_PATIENT_RATE messages per MESSAGING_RATE_SECONDS from one patient: a
    hijacked or scripted account must not flood the care team's inbox."""
    limit = int(getattr(settings, "MESSAGING_PATIENT_RATE", 20))
    window = int(getattr(settings, "MESSAGING_RATE_SECONDS", 600))
    key = f"messaging-rate:{current_schema()}:{patient.pk}"
    cache.add(key, 0, timeout=window)
    try:
        sent = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        sent = 1
    if sent > limit:
        raise MessagingError("You have sent many messages in a short time. Please wait a few minutes.")


def _require(role: str | None, capability: Capability) -> None:
    if not role_can(role, capability):
        raise NotAllowed("Your role does not allow this.")


# A message's author has read the conversation up to it.
_READ_BY_AUTHOR: dict[str, str] = {
    Message.Author.PATIENT: "patient_read_at",
    Message.Author.STAFF: "staff_read_at",
}


def _add_message(
    thread: Thread,
    kind: str,
    author: str,
    body: str,
    author_user: User | None = None,
    reopen: bool = False,
) -> Message:
    message = Message(thread=thread, kind=kind, author=author, author_user=author_user)
    message.body = body
    message.save()
    if kind == Message.Kind.MESSAGE:
        # One UPDATE: the thread's last message, the author's read receipt, and (reopen) its status.
        now = message.created_at
        changes: dict[str, object] = {"last_message_at": now, _READ_BY_AUTHOR[author]: now}
        if reopen:
            changes.update(status=Thread.Status.OPEN, closed_at=None)
        Thread.objects.filter(pk=thread.pk).update(**changes)
        for field, value in changes.items():
            setattr(thread, field, value)
    push_message_on_commit(message)
    return message


@transaction.atomic
def start_thread(patient: Patient, body: str, appointment: Appointment | None = None) -> Thread:
    """A patient writes to the care team, optionally about one of their appointments."""
    text = _clean_body(body)
    _check_patient_rate(patient)
    if appointment is not None and appointment.patient_id != patient.pk:
        raise MessagingError("That appointment is not yours.")
    now = timezone.now()
    thread = Thread.objects.create(
        patient=patient, appointment=appointment, last_message_at=now, patient_read_at=now
    )
    _add_message(thread, Message.Kind.MESSAGE, Message.Author.PATIENT, text)
    return thread


@transaction.atomic
def post_patient_message(thread: Thread, patient: Patient, body: str) -> Message:
    """The patient replies; writing to a closed conversation opens it again for the care team
    (the same UPDATE as the message's time: no lock, and no re-read of the thread)."""
    if thread.patient_id != patient.pk:
        raise MessagingError("No such conversation.")
    text = _clean_body(body)
    _check_patient_rate(patient)
    return _add_message(thread, Message.Kind.MESSAGE, Message.Author.PATIENT, text, reopen=True)


@transaction.atomic
def post_staff_reply(thread: Thread, user: User, role: str | None, body: str) -> Message:
    _require(role, Capability.EDIT_PATIENTS)
    text = _clean_body(body)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if thread.status == Thread.Status.CLOSED:
        raise MessagingError("This conversation is closed: reopen it to reply.")
    message = _add_message(thread, Message.Kind.MESSAGE, Message.Author.STAFF, text, user)
    _notify_patient_on_commit(thread, message)
    return message


def _notify_patient_on_commit(thread: Thread, message: Message) -> None:
    """Email the patient that there is a new message: never its content, only a link. One email
    per unread batch: if an earlier care-team message is still unread, they have been told."""
    earlier_unread = thread.messages.filter(
        author=Message.Author.STAFF, kind=Message.Kind.MESSAGE, id__lt=message.pk
    )
    if thread.patient_read_at is not None:
        earlier_unread = earlier_unread.filter(created_at__gt=thread.patient_read_at)
    if earlier_unread.exists():
        return
    practice = cast(Practice, getattr(connection, "tenant"))  # noqa: B009  (set by tenant_context)
    link = practice_url(practice.slug, f"/portal/messages/{thread.pk}/")
    patient = thread.patient

    def send() -> None:
        try:
            notify_patient(
                patient,
                subject=f"New secure message from {practice.name}",
                template="messaging/email/new_message.txt",
                context={"practice_name": practice.name, "link": link},
            )
        except Exception:  # the message is stored and shown on sign-in: a lost email loses nothing
            logger.exception("new-message email failed")

    transaction.on_commit(send)


@transaction.atomic
def add_internal_note(thread: Thread, user: User, role: str | None, body: str) -> Message:
    """A note for colleagues: stored with the thread, never shown or pushed to the patient."""
    _require(role, Capability.EDIT_PATIENTS)
    return _add_message(thread, Message.Kind.NOTE, Message.Author.STAFF, _clean_body(body), user)


@transaction.atomic
def assign_thread(thread: Thread, practice: Practice, role: str | None, assignee: User | None) -> Thread:
    """Give the conversation to a colleague who can read the inbox (None: back to unassigned)."""
    _require(role, Capability.EDIT_PATIENTS)
    if assignee is not None and not role_can(role_in_practice(assignee, practice), Capability.VIEW_PATIENTS):
        raise MessagingError("That person cannot read this practice's messages.")
    thread.assigned_to = assignee
    thread.save(update_fields=["assigned_to"])
    push_thread_change_on_commit(thread)
    return thread


@transaction.atomic
def close_thread(thread: Thread, role: str | None) -> Thread:
    _require(role, Capability.EDIT_PATIENTS)
    if thread.status != Thread.Status.CLOSED:
        thread.status = Thread.Status.CLOSED
        thread.closed_at = timezone.now()
        thread.save(update_fields=["status", "closed_at"])
        push_thread_change_on_commit(thread)
    return thread


@transaction.atomic
def reopen_thread(thread: Thread, role: str | None) -> Thread:
    _require(role, Capability.EDIT_PATIENTS)
    if thread.status != Thread.Status.OPEN:
        thread.status = Thread.Status.OPEN
        thread.closed_at = None
        thread.save(update_fields=["status", "closed_at"])
        push_thread_change_on_commit(thread)
    return thread


def mark_read_by_patient(thread: Thread) -> None:
    thread.patient_read_at = timezone.now()
    Thread.objects.filter(pk=thread.pk).update(patient_read_at=thread.patient_read_at)
    push_thread_change_on_commit(thread)


def mark_read_by_staff(thread: Thread) -> None:
    thread.staff_read_at = timezone.now()
    Thread.objects.filter(pk=thread.pk).update(staff_read_at=thread.staff_read_at)
    push_thread_change_on_commit(thread)


def reencrypt_all_messages(batch_size: int = 500) -> int:
    """Re-encrypt every message of this practice under the newest key; returns how many."""
    from messaging import crypto

    count = 0
    last_id = 0
    while True:
        batch = list(Message.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return count
        with transaction.atomic():
            for message in batch:
                Message.objects.filter(pk=message.pk).update(
                    body_ciphertext=crypto.reencrypt(message.body_ciphertext)
                )
        count += len(batch)
        last_id = batch[-1].pk
