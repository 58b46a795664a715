"""`/ws/notifications/log/`: the delivery log's live state changes, for staff who may view it.

The practice comes from the Host (see practica.messaging.consumers); the socket joins only that practice's
group, so a state change of practice A never reaches practice B's staff.
"""

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django_otp import DEVICE_ID_SESSION_KEY

from notifications.live import deliveries_group
from practica.accounts.roles import Capability, role_can
from practica.accounts.selectors import role_in_practice
from practica.accounts.sessions import SESSION_PRACTICE_KEY
from practica.messaging.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, in_practice, practice_for_host
from tenants.models import Practice


class DeliveryLogConsumer(AsyncJsonWebsocketConsumer):
    practice: Practice
    group: str | None = None

    async def connect(self) -> None:
        host = dict(self.scope.get("headers", [])).get(b"host", b"").decode("latin1")
        practice = await database_sync_to_async(practice_for_host)(host)
        if practice is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.practice = practice
        if not await in_practice(practice, self._may_view):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.group = deliveries_group(practice.schema_name)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    def _may_view(self) -> bool:
        session = self.scope.get("session")
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or session is None:
            return False
        if session.get(SESSION_PRACTICE_KEY) != self.practice.schema_name:
            return False
        if self.practice.require_staff_two_factor and not session.get(DEVICE_ID_SESSION_KEY):
            return False
        return role_can(role_in_practice(user, self.practice), Capability.VIEW_SCHEDULE)

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_json({"type": "error", "error": "This socket only listens."})

    async def delivery_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])
