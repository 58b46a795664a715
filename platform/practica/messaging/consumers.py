"""WebSockets of secure messaging.

django-tenants routes HTTP only, so a socket finds its practice from the Host at connect time and
keeps it in the scope; every database access then runs inside that practice's tenant_context
*within* the database thread that runs it (those threads are shared by all sockets: a schema set
outside the call would leak into another practice's work).

Staff sockets are signed-in users with a role at this practice that may read the inbox; patient
sockets carry a portal session of this practice. Each joins only groups of its own practice, and a
patient only the groups of their own threads. Both follow their session: see
practica.core.access.
"""

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings
from django_tenants.utils import schema_context, tenant_context

from portal.sessions import ACCOUNT_KEY, patient_socket_access, patient_socket_subjects
from practica.accounts.roles import Capability, role_can
from practica.accounts.selectors import access_in_practice
from practica.accounts.sessions import staff_socket_access, staff_socket_subjects
from practica.audit import context as audit
from practica.core.access import AccessBoundConsumer, Grant
from practica.core.net import socket_client_ip
from practica.messaging import events, selectors, services
from practica.messaging.errors import MessagingError
from practica.messaging.models import Thread
from tenants.models import Domain, Practice

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
# A socket's "typing" signals are passed on at most this often; clients send one every few seconds.
TYPING_INTERVAL_SECONDS = 2.0

T = TypeVar("T")


def practice_for_host(host: str) -> Practice | None:
    name = host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()
    with schema_context("public"):
        domain = Domain.objects.select_related("tenant").filter(domain=name).first()
    return domain.tenant if domain is not None else None


_db_threads: ThreadPoolExecutor | None = None


def _socket_db_threads() -> ThreadPoolExecutor | None:
    """The process's pool of database threads for socket work (None: SOCKET_DB_THREADS is 0)."""
    global _db_threads
    if _db_threads is None and settings.SOCKET_DB_THREADS > 0:
        _db_threads = ThreadPoolExecutor(settings.SOCKET_DB_THREADS, thread_name_prefix="socket-db")
    return _db_threads


async def in_practice(practice: Practice, work: Callable[[], T]) -> T:
    """Run `work` in a database thread, inside this practice's schema and only there.

    The threads are shared by every socket of the process, each with its own connection: the
    schema is set at the start of every call and put back to public at its end (tenant_context),
    and django-tenants issues `SET search_path` again whenever the tenant changes, so one call
    never runs under the schema of another. Channels closes connections that are too old or broken
    around each call; healthy ones are reused (CONN_MAX_AGE)."""

    loop = asyncio.get_running_loop()

    def run() -> T:
        with events.pushes_without_waiting(loop), tenant_context(practice):
            return work()

    pool = _socket_db_threads()
    if pool is None:
        return await database_sync_to_async(run)()
    return await database_sync_to_async(run, thread_sensitive=False, executor=pool)()


class MessagingConsumer(AccessBoundConsumer):
    """`/ws/messaging/`: the staff inbox or the patient's list; `/ws/messaging/<thread>/`: one thread.

    Clients may send, on a thread socket, {"type": "send", "body": ...}, {"type": "read"} (a read
    receipt), {"type": "typing"} (passed on to the other side only, never stored) and
    {"type": "since", "after": <message id>} to fetch what they missed while offline.

    The socket follows its session (practica.core.access): every push and request is checked
    against the session and role as they are now, and the socket closes when the session ends or
    the access changes."""

    practice: Practice
    session_key: str = ""
    staff_user: Any = None
    role: str | None = None
    latest_role: str | None = None
    account_id: str | None = None
    patient_id: Any = None
    thread_id: uuid.UUID | None = None
    thread: Thread | None = None
    joined: list[str]
    last_typing: float = 0.0
    actor: audit.Actor = audit.SYSTEM  # who the audit trail names for this socket's writes

    async def connect(self) -> None:
        self.joined = []
        host = dict(self.scope.get("headers", [])).get(b"host", b"").decode("latin1")
        practice = await database_sync_to_async(practice_for_host)(host)
        if practice is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.practice = practice
        self.scope["practice"] = practice
        subjects = await in_practice(practice, self._identify)
        if subjects is None or await self.open_access(subjects) is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.role = self.latest_role
        raw_thread = self.scope["url_route"]["kwargs"].get("thread_id")
        if raw_thread is not None:
            self.thread_id = raw_thread if isinstance(raw_thread, uuid.UUID) else uuid.UUID(str(raw_thread))
            if not await in_practice(practice, self._may_see_thread):
                await self.close(code=CLOSE_NOT_FOUND)
                return
        for group in self._groups():
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await self.follow_access()
        await self.accept()

    def _identify(self) -> list[str] | None:
        """Who the session says this is (checked against the database by `authorise`), as the
        access subjects the socket follows; None without a usable session."""
        session = self.scope.get("session")
        user = self.scope.get("user")
        self.session_key = (session.session_key if session is not None else None) or ""
        if not self.session_key:
            return None
        if user is not None and user.is_authenticated:
            self.staff_user = user
            return staff_socket_subjects(self.session_key, self.practice, user.pk)
        account_id = session.get(ACCOUNT_KEY)
        if not account_id:
            return None
        self.account_id = str(account_id)
        return patient_socket_subjects(self.session_key, self.practice, self.account_id)

    async def authorise(self) -> Grant | None:
        return await in_practice(self.practice, self._authorise)

    def _authorise(self) -> Grant | None:
        if self.staff_user is not None:
            staff = staff_socket_access(
                self.session_key, self.practice, self.staff_user.pk, Capability.VIEW_PATIENTS
            )
            if staff is None:
                return None
            self.latest_role = staff.role
            self.actor = audit.person(
                user_id=self.staff_user.pk,
                email=self.staff_user.email,
                role=staff.role,
                ip_address=socket_client_ip(self.scope),
                user_agent=self._user_agent(),
                billing_company=staff.billing_company,
            )
            subjects = staff_socket_subjects(self.session_key, self.practice, self.staff_user.pk)
            return Grant(subjects, staff.idle_deadline)
        assert self.account_id is not None
        patient = patient_socket_access(self.session_key, self.practice, self.account_id)
        if patient is None or (self.patient_id is not None and patient.patient_id != self.patient_id):
            return None
        self.patient_id = patient.patient_id
        self.actor = audit.patient(
            patient.patient_id, patient.email, socket_client_ip(self.scope), self._user_agent()
        )
        subjects = patient_socket_subjects(self.session_key, self.practice, self.account_id)
        return Grant(subjects, patient.idle_deadline)

    async def access_changed_since_connect(self) -> bool:
        # A new role may see and do other things: the client reconnects and is authorised afresh.
        return self.latest_role != self.role

    def _user_agent(self) -> str:
        return dict(self.scope.get("headers", [])).get(b"user-agent", b"").decode("latin1")

    def _thread(self) -> Thread | None:
        """This socket's thread, if the person may see it (staff: any of the practice's)."""
        if self.thread_id is None:
            return None
        if self.staff_user is not None:
            return selectors.thread_for_staff(self.thread_id)
        return selectors.thread_for_patient_id(self.patient_id, self.thread_id)

    def _may_see_thread(self) -> bool:
        self.thread = self._thread()
        return self.thread is not None

    def _groups(self) -> list[str]:
        schema = self.practice.schema_name
        if self.thread_id is not None:
            if self.staff_user is not None:
                return [events.thread_staff_group(schema, self.thread_id)]
            return [events.thread_group(schema, self.thread_id)]
        if self.staff_user is not None:
            return [events.staff_inbox_group(schema)]
        return [events.patient_group(schema, self.patient_id)]

    async def leave_groups(self) -> None:
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined = []
        await super().leave_groups()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not await self.access_holds():
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "since":
            after = content.get("after")
            if not isinstance(after, int) or after < 0:
                await self.send_json({"type": "error", "error": "after must be a message id."})
                return
            missed = await in_practice(self.practice, lambda: self._since(after))
            await self.send_json({"type": "since", "messages": missed})
        elif kind == "send" and self.thread_id is not None:
            body = content.get("body")
            stored = await in_practice(
                self.practice, lambda: self._send(body if isinstance(body, str) else "")
            )
            # The sender learns its message is stored; everyone, sender included, gets the push.
            await self.send_json(stored)
        elif kind == "read" and self.thread_id is not None:
            # The page showed a live message: the read receipt moves on without a reload.
            await in_practice(self.practice, self._mark_read)
        elif kind == "typing" and self.thread_id is not None:
            await self._pass_on_typing()
        else:
            await self.send_json({"type": "error", "error": "Unknown request."})

    async def _pass_on_typing(self) -> None:
        """Tell the other side of the thread that someone is writing: a live hint, never stored
        (lost pushes lose nothing). It names a side, not a person; staff who may only read send none."""
        now = time.monotonic()
        if now - self.last_typing < TYPING_INTERVAL_SECONDS:
            return
        if self.staff_user is not None and not role_can(self.role, Capability.EDIT_PATIENTS):
            return
        self.last_typing = now
        schema = self.practice.schema_name
        if self.staff_user is not None:
            group, side = events.thread_group(schema, self.thread_id), "staff"
        else:
            group, side = events.thread_staff_group(schema, self.thread_id), "patient"
        event = {"type": "typing", "thread": str(self.thread_id), "author": side}
        await self.channel_layer.group_send(group, {"type": events.EVENT_TYPE, "event": event})

    def _since(self, after: int) -> list[dict[str, Any]]:
        thread = self._thread()
        if thread is None:
            return []
        found = (
            selectors.messages_for_staff(thread, after)
            if self.staff_user is not None
            else selectors.messages_for_patient(thread, after)
        )
        viewer = "staff" if self.staff_user is not None else "patient"
        return [events.message_payload(message, viewer=viewer) for message in found]

    def _mark_read(self) -> None:
        thread = self._thread()
        if thread is None:
            return
        with audit.acting_as(self.actor):
            if self.staff_user is not None:
                services.mark_read_by_staff(thread)
            else:
                services.mark_read_by_patient(thread)

    def _send(self, body: str) -> dict[str, Any]:
        """Store the message (pushed to everyone after commit); an error if refused."""
        try:
            if self.staff_user is not None:
                thread = self._thread()
                if thread is None:
                    return {"type": "error", "error": "No such conversation."}
                # The role is read again: a colleague demoted since connecting loses the right now.
                access = access_in_practice(self.staff_user, self.practice)
                role = access.role if access else None
                with audit.acting_as(dataclasses.replace(self.actor, role=role or "")):
                    message = services.post_staff_reply(thread, self.staff_user, role, body)
            else:
                # A thread never changes hands: the one checked at connect is still the patient's.
                thread = self.thread
                if thread is None:
                    return {"type": "error", "error": "No such conversation."}
                with audit.acting_as(self.actor):
                    message = services.post_patient_message(thread, thread.patient, body)
        except MessagingError as error:
            return {"type": "error", "error": str(error)}
        return {"type": "stored", "id": message.pk}

    async def messaging_event(self, message: dict[str, Any]) -> None:
        if not await self.access_holds():
            return
        event = message["event"]
        # Belt and braces: patients' groups never get notes, and this would drop one anyway.
        if (
            self.staff_user is None
            and event.get("type") == "message"
            and event["message"]["kind"] != "message"
        ):
            return
        await self.send_json(event)
