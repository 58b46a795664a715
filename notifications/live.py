"""Live delivery log: a notification's new state is pushed to the practice's staff after commit.

The database stays the source of truth: a push that fails is logged and dropped, and the log page
shows the stored state on every load.
"""

import logging
import re
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from notifications.models import Notification
from practica.core.tenancy import current_schema

logger = logging.getLogger(__name__)

EVENT_TYPE = "delivery.event"  # handled by DeliveryLogConsumer.delivery_event


def deliveries_group(schema: str) -> str:
    # Channels allows ASCII letters, digits, "-", "_" and "." in group names, under 100 characters.
    return re.sub(r"[^A-Za-z0-9_.-]", "-", f"{schema}.deliveries")[:99]


def _send(group: str, events: list[dict[str, Any]]) -> None:
    """All the events in one trip through async_to_sync (each trip costs an event loop and a thread
    hop, more than the group_send itself: a sending batch pushes its states at once)."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for event in events:
            await layer.group_send(group, {"type": EVENT_TYPE, "event": event})

    try:
        async_to_sync(send_all)()
    except Exception:  # a lost push costs only liveness: the state is stored
        logger.exception("delivery log push failed", extra={"group": group})


def push_states_on_commit(changes: list[tuple[object, str]]) -> None:
    """(notification id, new state) pairs, pushed to this practice's delivery log once committed."""
    if not changes:
        return
    group = deliveries_group(current_schema())
    events = [
        {"type": "state", "id": str(pk), "state": state, "label": Notification.State(state).label}
        for pk, state in changes
    ]
    transaction.on_commit(lambda: _send(group, events))
