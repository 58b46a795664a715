"""`/ws/notifications/log/`: the delivery log's live state changes, for staff who may view it.

The practice comes from the Host (see practica.messaging.consumers); the socket joins only that practice's
group, so a state change of practice A never reaches practice B's staff. It follows its session like
every socket (practica.core.access): it closes when the session ends or the access changes.
"""

from typing import Any

from channels.db import database_sync_to_async

from notifications.live import deliveries_group
from practica.accounts.roles import Capability
from practica.accounts.sessions import staff_socket_access, staff_socket_subjects
from practica.core.access import AccessBoundConsumer, Grant
from practica.messaging.consumers import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, in_practice, practice_for_host
from tenants.models import Practice


class DeliveryLogConsumer(AccessBoundConsumer):
    practice: Practice
    group: str | None = None
    session_key: str = ""
    user_id: int = 0
    role: str | None = None
    latest_role: str | None = None

    async def connect(self) -> None:
        host = dict(self.scope.get("headers", [])).get(b"host", b"").decode("latin1")
        practice = await database_sync_to_async(practice_for_host)(host)
        if practice is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.practice = practice
        session = self.scope.get("session")
        user = self.scope.get("user")
        self.session_key = (session.session_key if session is not None else None) or ""
        if not self.session_key or user is None or not user.is_authenticated:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user_id = user.pk
        if await self.open_access(staff_socket_subjects(self.session_key, practice, user.pk)) is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.role = self.latest_role
        self.group = deliveries_group(practice.schema_name)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.follow_access()
        await self.accept()

    async def authorise(self) -> Grant | None:
        return await in_practice(self.practice, self._authorise)

    def _authorise(self) -> Grant | None:
        staff = staff_socket_access(self.session_key, self.practice, self.user_id, Capability.VIEW_SCHEDULE)
        if staff is None:
            return None
        self.latest_role = staff.role
        subjects = staff_socket_subjects(self.session_key, self.practice, self.user_id)
        return Grant(subjects, staff.idle_deadline)

    async def access_changed_since_connect(self) -> bool:
        return self.latest_role != self.role

    async def leave_groups(self) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
        await super().leave_groups()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if await self.access_holds():
            await self.send_json({"type": "error", "error": "This socket only listens."})

    async def delivery_event(self, message: dict[str, Any]) -> None:
        if await self.access_holds():
            await self.send_json(message["event"])
