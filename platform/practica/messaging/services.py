"""Writes of secure messaging. Staff actions take the actor's role and check it here, so the
back office, the portal and the WebSocket share one rule."""

import logging
import os
import unicodedata
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.message_notices import plan_new_message_notice
from practica.accounts.models import User
from practica.accounts.roles import Capability, role_can
from practica.accounts.selectors import role_in_practice
from practica.core.tenancy import current_schema
from practica.intake.errors import UploadRejected
from practica.intake.uploads import check_upload, name_for_type
from practica.messaging import crypto
from practica.messaging.errors import MessagingError, NotAllowed
from practica.messaging.events import push_message_on_commit, push_thread_change_on_commit
from practica.messaging.models import Attachment, Message, Thread
from practica.patients.models import Patient
from practica.scheduling.models import Appointment
from tenants.models import Practice

logger = logging.getLogger(__name__)

MAX_BODY_CHARS = 5000
MAX_ATTACHMENT_NAME_CHARS = 200


def _clean_body(body: str, *, with_file: bool = False) -> str:
    """The message text; it may be empty only when a file is sent with it."""
    text = (body or "").strip()
    if not text and not with_file:
        raise MessagingError(_("Write a message first."))
    if len(text) > MAX_BODY_CHARS:
        raise MessagingError(_("A message can be at most %(limit)d characters.") % {"limit": MAX_BODY_CHARS})
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
        raise MessagingError(_("You have sent many messages in a short time. Please wait a few minutes."))


def _require(role: str | None, capability: Capability) -> None:
    if not role_can(role, capability):
        raise NotAllowed("Your role does not allow this.")


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    content_type: str  # from the file's first bytes, not its name


def _check_attachment(upload: UploadedFile | None) -> CheckedFile | None:
    """The file, checked with the same rules as every other upload (content sniffing, size limit,
    virus scan) before anything is stored; MessagingError with the reason when refused."""
    if upload is None:
        return None
    try:
        return CheckedFile(upload, check_upload(upload))
    except UploadRejected as error:
        raise MessagingError(str(error)) from error


def _display_name(raw: str | None) -> str:
    """The file's own name for display and download: no folders, no control characters."""
    name = os.path.basename((raw or "").replace("\\", "/"))
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[-MAX_ATTACHMENT_NAME_CHARS:] or "attachment"


def _attach(message: Message, checked: CheckedFile) -> Attachment:
    checked.upload.seek(0)
    content = checked.upload.read()
    attachment = Attachment(message=message, content_type=checked.content_type, size=len(content))
    # The name shown and downloaded ends in the type found in the content, not the client's own.
    attachment.name = name_for_type(_display_name(checked.upload.name), checked.content_type)[
        -MAX_ATTACHMENT_NAME_CHARS:
    ]
    attachment.file.save("attachment", ContentFile(crypto.encrypt_bytes(content)), save=False)
    attachment.save()
    return attachment


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
    attachment: CheckedFile | None = None,
    reopen: bool = False,
) -> Message:
    message = Message(thread=thread, kind=kind, author=author, author_user=author_user)
    message.body = body
    message.save()
    stored = [_attach(message, attachment)] if attachment is not None else []
    if kind == Message.Kind.MESSAGE:
        # One UPDATE: the thread's last message, the author's read receipt, and (reopen) its status.
        now = message.created_at
        changes: dict[str, object] = {"last_message_at": now, _READ_BY_AUTHOR[author]: now}
        if reopen:
            changes.update(status=Thread.Status.OPEN, closed_at=None)
        Thread.objects.filter(pk=thread.pk).update(**changes)
        for field, value in changes.items():
            setattr(thread, field, value)
    push_message_on_commit(message, stored)
    return message


@transaction.atomic
def start_thread(patient: Patient, body: str, appointment: Appointment | None = None) -> Thread:
    """A patient writes to the care team, optionally about one of their appointments."""
    text = _clean_body(body)
    _check_patient_rate(patient)
    if appointment is not None and appointment.patient_id != patient.pk:
        raise MessagingError(_("That appointment is not yours."))
    now = timezone.now()
    thread = Thread.objects.create(
        patient=patient, appointment=appointment, last_message_at=now, patient_read_at=now
    )
    _add_message(thread, Message.Kind.MESSAGE, Message.Author.PATIENT, text)
    return thread


@transaction.atomic
def start_staff_thread(patient: Patient, user: User, role: str | None, body: str) -> Thread:
    """The care team writes to a patient first (from the chart). The patient hears of it as of any
    staff reply: notice rows of this transaction, with no content, sent by the workers."""
    _require(role, Capability.EDIT_PATIENTS)
    text = _clean_body(body)
    now = timezone.now()
    thread = Thread.objects.create(patient=patient, last_message_at=now, staff_read_at=now)
    _add_message(thread, Message.Kind.MESSAGE, Message.Author.STAFF, text, user)
    plan_new_message_notice(thread)
    return thread


@transaction.atomic
def post_patient_message(
    thread: Thread, patient: Patient, body: str, attachment: UploadedFile | None = None
) -> Message:
    """The patient replies, optionally with a file; writing to a closed conversation opens it again
    for the care team (the same UPDATE as the message's time: no lock, and no re-read of the thread)."""
    if thread.patient_id != patient.pk:
        raise MessagingError("No such conversation.")
    text = _clean_body(body, with_file=attachment is not None)
    checked = _check_attachment(attachment)
    _check_patient_rate(patient)
    return _add_message(
        thread, Message.Kind.MESSAGE, Message.Author.PATIENT, text, attachment=checked, reopen=True
    )


@transaction.atomic
def post_staff_reply(
    thread: Thread, user: User, role: str | None, body: str, attachment: UploadedFile | None = None
) -> Message:
    _require(role, Capability.EDIT_PATIENTS)
    text = _clean_body(body, with_file=attachment is not None)
    checked = _check_attachment(attachment)
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if thread.status == Thread.Status.CLOSED:
        raise MessagingError("This conversation is closed: reopen it to reply.")
    message = _add_message(thread, Message.Kind.MESSAGE, Message.Author.STAFF, text, user, checked)
    # The SMS and email notices are notification rows in this transaction: sent by the workers.
    plan_new_message_notice(thread)
    return message


@transaction.atomic
def add_internal_note(
    thread: Thread, user: User, role: str | None, body: str, attachment: UploadedFile | None = None
) -> Message:
    """A note for colleagues, optionally with a file: stored with the thread, never shown or pushed
    to the patient (nor its file)."""
    _require(role, Capability.EDIT_PATIENTS)
    text = _clean_body(body, with_file=attachment is not None)
    checked = _check_attachment(attachment)
    return _add_message(thread, Message.Kind.NOTE, Message.Author.STAFF, text, user, checked)


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


def reencrypt_all_attachments(batch_size: int = 50) -> int:
    """Re-encrypt every attachment (file and name) of this practice under the newest key; returns
    how many. Each file is written anew under a new name and the row pointed at it in one
    transaction; the old file is deleted once that has committed, so a crash midway leaves every
    row pointing at a readable file."""
    count = 0
    rows = Attachment.objects.order_by("id")
    while batch := list(rows[:batch_size]):
        for attachment in batch:
            with transaction.atomic():
                _reencrypt_attachment(attachment)
        count += len(batch)
        rows = Attachment.objects.order_by("id").filter(id__gt=batch[-1].pk)
    return count


def _reencrypt_attachment(attachment: Attachment) -> None:
    old_name = str(attachment.file.name)
    with attachment.file.open("rb") as stored:
        token = crypto.reencrypt_bytes(stored.read())
    storage = attachment.file.storage
    attachment.file.save("attachment", ContentFile(token), save=False)
    Attachment.objects.filter(pk=attachment.pk).update(
        file=attachment.file.name, name_ciphertext=crypto.reencrypt(attachment.name_ciphertext)
    )
    transaction.on_commit(partial(storage.delete, old_name))
