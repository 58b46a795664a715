"""Live updates: channel group names and pushes after commit.

A message is stored first; its push goes out only once the transaction has committed, and a push
that fails is logged and dropped: clients fetch everything after the last message they saw when
they (re)connect, so nothing is lost with it.
"""

import asyncio
import logging
import re
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.urls import reverse

from core.tenancy import current_schema
from messaging.models import Attachment, Message, Thread

logger = logging.getLogger(__name__)

EVENT_TYPE = "messaging.event"  # handled by MessagingConsumer.messaging_event
# Payloads are built in socket consumers too, where no request has set the practice's urlconf.
PRACTICE_URLCONF = "practica.urls_practice"


def _group(*parts: str) -> str:
    # Channels allows ASCII letters, digits, "-", "_" and "." in group names, under 100 characters.
    return re.sub(r"[^A-Za-z0-9_.-]", "-", ".".join(parts))[:99]


def staff_inbox_group(schema: str) -> str:
    return _group(schema, "staff")


def patient_group(schema: str, patient_id: object) -> str:
    return _group(schema, "patient", str(patient_id))


def thread_group(schema: str, thread_id: object) -> str:
    """The patient's side of one thread."""
    return _group(schema, "thread", str(thread_id))


def thread_staff_group(schema: str, thread_id: object) -> str:
    """Staff looking at one thread: they also get its internal notes."""
    return _group(schema, "thread", str(thread_id), "staff")


def attachment_url(attachment: Attachment, thread_id: object, viewer: str) -> str:
    """The authorised download view for this side: the portal's for the patient, the back office's
    for staff (each checks who asks; the file itself has no public address)."""
    name = "portal:message_attachment" if viewer == "patient" else "messaging_attachment"
    return reverse(name, args=[thread_id, attachment.pk], urlconf=PRACTICE_URLCONF)


def message_payload(
    message: Message, viewer: str = "patient", attachments: list[Attachment] | None = None
) -> dict[str, Any]:
    """What a client shows of a message; `viewer` ("patient" or "staff") picks the download links.
    `attachments`: the message's files when the caller has them already (saves a query)."""
    if attachments is None:
        attachments = list(message.attachments.all())
    return {
        "id": message.pk,
        "thread": str(message.thread_id),
        "kind": message.kind,
        "author": message.author,
        "body": message.body,
        "created_at": message.created_at.isoformat(),
        "attachments": [
            {
                "id": str(attachment.pk),
                "name": attachment.name,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "url": attachment_url(attachment, message.thread_id, viewer),
            }
            for attachment in attachments
        ],
    }


def _send(groups: list[str], event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_to_all() -> list[Any]:
        # Side by side, in one trip to the event loop: each group costs Redis round trips.
        sends = (layer.group_send(group, {"type": EVENT_TYPE, "event": event}) for group in groups)
        return await asyncio.gather(*sends, return_exceptions=True)

    try:
        results = async_to_sync(send_to_all)()
    except Exception as error:  # a lost push costs only liveness: the message is stored
        results = [error] * len(groups)
    for group, result in zip(groups, results, strict=True):
        if isinstance(result, BaseException):
            logger.error("messaging push failed", exc_info=result, extra={"group": group})


def push_message_on_commit(message: Message, attachments: list[Attachment] | None = None) -> None:
    """`attachments`: the message's files, when the caller just stored them (or knows there are none)."""
    schema = current_schema()
    thread = message.thread
    if attachments is None:
        attachments = list(message.attachments.all())
    staff_event = {"type": "message", "message": message_payload(message, "staff", attachments)}
    staff_groups = [staff_inbox_group(schema), thread_staff_group(schema, thread.pk)]
    transaction.on_commit(lambda: _send(staff_groups, staff_event))
    if not message.is_note:
        patient_event = {"type": "message", "message": message_payload(message, "patient", attachments)}
        patient_groups = [thread_group(schema, thread.pk), patient_group(schema, thread.patient_id)]
        transaction.on_commit(lambda: _send(patient_groups, patient_event))


def push_thread_change_on_commit(thread: Thread) -> None:
    """Status, assignment or read receipts changed: both sides may show it."""
    schema = current_schema()
    event = {
        "type": "thread",
        "thread": str(thread.pk),
        "status": thread.status,
        "assigned_to": thread.assigned_to_id,
        "patient_read_at": thread.patient_read_at.isoformat() if thread.patient_read_at else None,
        "staff_read_at": thread.staff_read_at.isoformat() if thread.staff_read_at else None,
    }
    groups = [
        staff_inbox_group(schema),
        thread_staff_group(schema, thread.pk),
        thread_group(schema, thread.pk),
        patient_group(schema, thread.patient_id),
    ]
    transaction.on_commit(lambda: _send(groups, event))
