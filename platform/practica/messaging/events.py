"""Live updates: channel group names and pushes after commit.

A message is stored first; its push goes out only once the transaction has committed, and a push
that fails is logged and dropped: clients fetch everything after the last message they saw when
they (re)connect, so nothing is lost with it.
"""

import asyncio
import logging
import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.urls import reverse

from practica.core.tenancy import current_schema
from practica.messaging.models import Attachment, Message, Thread

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


_socket_call = threading.local()


@contextmanager
def pushes_without_waiting(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Within a socket's database call (practica.messaging.consumers.in_practice): pushes after commit are
    handed to the server's event loop and the database thread goes on at once. Nothing waits for
    a push anyway (they are at-most-once, the message is stored), and a thread blocked on the busy
    loop is a thread that stores no message."""
    _socket_call.loop = loop
    try:
        yield
    finally:
        _socket_call.loop = None


async def _publish(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    many = getattr(layer, "group_send_many", None)  # practica.core.channel_layer: one round trip
    if many is not None:
        await many(messages)
    else:
        await asyncio.gather(*(layer.group_send(group, message) for group, message in messages))


def _send(pushes: list[tuple[list[str], dict[str, Any]]]) -> None:
    """Each (groups, event): the event to each of its groups, in one trip to the event loop. A lost
    push costs only liveness (the message is stored): failures are logged, never raised."""
    layer = get_channel_layer()
    if layer is None:
        return
    messages = [(group, {"type": EVENT_TYPE, "event": event}) for groups, event in pushes for group in groups]
    groups = [group for group, _message in messages]

    def log_failure(error: BaseException) -> None:
        logger.error("messaging push failed", exc_info=error, extra={"groups": groups})

    loop: asyncio.AbstractEventLoop | None = getattr(_socket_call, "loop", None)
    if loop is not None and loop.is_running():

        def log_if_failed(done: Future[None]) -> None:
            error = done.exception()
            if error is not None:
                log_failure(error)

        asyncio.run_coroutine_threadsafe(_publish(layer, messages), loop).add_done_callback(log_if_failed)
        return
    try:
        async_to_sync(_publish)(layer, messages)
    except Exception as error:
        log_failure(error)


def push_message_on_commit(message: Message, attachments: list[Attachment] | None = None) -> None:
    """`attachments`: the message's files, when the caller just stored them (or knows there are none)."""
    schema = current_schema()
    thread = message.thread
    if attachments is None:
        attachments = list(message.attachments.all())
    staff_event = {"type": "message", "message": message_payload(message, "staff", attachments)}
    pushes = [([staff_inbox_group(schema), thread_staff_group(schema, thread.pk)], staff_event)]
    if not message.is_note:
        patient_event = {"type": "message", "message": message_payload(message, "patient", attachments)}
        pushes.append(
            ([thread_group(schema, thread.pk), patient_group(schema, thread.patient_id)], patient_event)
        )
    transaction.on_commit(lambda: _send(pushes))


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
    transaction.on_commit(lambda: _send([(groups, event)]))
