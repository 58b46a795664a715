"""Live messaging over WebSockets against the real Redis channel layer.

Each scenario runs in one event loop (async_to_sync); the consumers' database work comes back to
the test's thread and transaction (see conftest), and `run_commit_hooks` plays the commit."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from practica.asgi import application
from practica.core.tenancy import current_schema
from practica.messaging import events, services
from practica.messaging.models import Message
from tests.conftest import staff
from tests.messaging.conftest import Side, patient_headers, run_commit_hooks, socket_headers, staff_headers

Headers = list[tuple[bytes, bytes]]


def _scenario(test: Callable[[], Awaitable[None]]) -> None:
    assert "Redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    async_to_sync(test)()


async def _open(path: str, headers: Headers) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    assert connected, f"refused with {code}"
    return communicator


async def _refused(path: str, headers: Headers) -> Any:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    await communicator.disconnect()
    assert not connected
    return code


async def _settled(*sockets: WebsocketCommunicator) -> None:
    """Drop anything that reached the sockets before the test acts (the fixture sends no pushes,
    see tests/messaging/conftest.py; this keeps a test's first read its own)."""
    for socket in sockets:
        while not await socket.receive_nothing(timeout=0.05):
            await socket.receive_json_from(timeout=1)


commit = sync_to_async(run_commit_hooks)
_staff = sync_to_async(staff_headers)
_patient = sync_to_async(patient_headers)


def test_a_patients_message_reaches_the_staff_inbox_and_thread_within_a_second(side_a: Side) -> None:
    thread = side_a.ann_thread

    async def scenario() -> None:
        inbox = await _open("/ws/messaging/", await _staff(side_a.nurse, side_a.practice))
        staff_thread = await _open(f"/ws/messaging/{thread.pk}/", await _staff(side_a.nurse, side_a.practice))
        patient = await _open(f"/ws/messaging/{thread.pk}/", await _patient(side_a.ann, side_a.practice))
        await _settled(inbox, staff_thread, patient)
        await patient.send_json_to({"type": "send", "body": "<script>alert(1)</script> it itches"})
        assert (await patient.receive_json_from(timeout=1))["type"] == "stored"
        await commit()
        for socket in (inbox, staff_thread, patient):
            event = await _message_of(socket, str(thread.pk))
            assert event["message"]["body"] == "<script>alert(1)</script> it itches"
        for socket in (inbox, staff_thread, patient):
            await socket.disconnect()

    _scenario(scenario)
    with tenant_context(side_a.practice):
        assert thread.messages.last().body.endswith("it itches")  # type: ignore[union-attr]


async def _message_of(socket: WebsocketCommunicator, thread_id: str) -> dict[str, Any]:
    """The next message event of this thread, within a second each: the inbox also hears of the
    practice's other threads (another test's late push once reached it first)."""
    while True:
        event = await socket.receive_json_from(timeout=1)
        if event["type"] == "message" and event["message"]["thread"] == thread_id:
            return event


def test_staff_reply_reaches_the_patient_but_notes_never_do(side_a: Side) -> None:
    thread = side_a.ann_thread

    async def scenario() -> None:
        patient_list = await _open("/ws/messaging/", await _patient(side_a.ann, side_a.practice))
        patient_thread = await _open(
            f"/ws/messaging/{thread.pk}/", await _patient(side_a.ann, side_a.practice)
        )
        staff_thread = await _open(f"/ws/messaging/{thread.pk}/", await _staff(side_a.nurse, side_a.practice))

        def note_then_reply() -> None:
            with tenant_context(side_a.practice):
                services.add_internal_note(thread, side_a.nurse, Role.FRONT_DESK, "internal: call pharmacy")
            run_commit_hooks()

        await sync_to_async(note_then_reply)()
        note = await staff_thread.receive_json_from(timeout=1)
        assert note["message"]["kind"] == "note"
        await staff_thread.send_json_to({"type": "send", "body": "Refill sent"})
        assert (await staff_thread.receive_json_from(timeout=1))["type"] == "stored"
        await commit()
        for socket in (patient_list, patient_thread):
            event = await socket.receive_json_from(timeout=1)
            assert event["message"]["body"] == "Refill sent"
            assert await socket.receive_nothing(timeout=0.2)
        for socket in (patient_list, patient_thread, staff_thread):
            await socket.disconnect()

    _scenario(scenario)


def test_a_patient_never_receives_another_patients_thread(side_a: Side) -> None:
    async def scenario() -> None:
        ann_list = await _open("/ws/messaging/", await _patient(side_a.ann, side_a.practice))
        bob_list = await _open("/ws/messaging/", await _patient(side_a.bob, side_a.practice))
        code = await _refused(
            f"/ws/messaging/{side_a.bob_thread.pk}/", await _patient(side_a.ann, side_a.practice)
        )
        assert code == 4404

        def reply_to_bob() -> None:
            with tenant_context(side_a.practice):
                services.post_staff_reply(side_a.bob_thread, side_a.nurse, Role.FRONT_DESK, "for Bob only")
            run_commit_hooks()

        await sync_to_async(reply_to_bob)()
        assert (await bob_list.receive_json_from(timeout=1))["message"]["body"] == "for Bob only"
        assert await ann_list.receive_nothing(timeout=0.3)
        await ann_list.disconnect()
        await bob_list.disconnect()

    _scenario(scenario)


def test_practice_a_sockets_never_receive_practice_b_events(side_a: Side, side_b: Side) -> None:
    async def scenario() -> None:
        inbox_a = await _open("/ws/messaging/", await _staff(side_a.nurse, side_a.practice))
        inbox_b = await _open("/ws/messaging/", await _staff(side_b.nurse, side_b.practice))

        def patient_writes_at_b() -> None:
            with tenant_context(side_b.practice):
                services.post_patient_message(side_b.ann_thread, side_b.ann.patient, "beta only")
            run_commit_hooks()

        await sync_to_async(patient_writes_at_b)()
        assert (await inbox_b.receive_json_from(timeout=1))["message"]["body"] == "beta only"
        assert await inbox_a.receive_nothing(timeout=0.3)
        await inbox_a.disconnect()
        await inbox_b.disconnect()

    _scenario(scenario)


def test_unauthenticated_wrong_practice_and_unknown_thread_sockets_are_refused(
    side_a: Side, side_b: Side
) -> None:
    async def scenario() -> None:
        assert await _refused("/ws/messaging/", socket_headers(side_a.practice, None)) == 4403
        # A staff session of practice A presented at practice B's host.
        a_cookie = (await _staff(side_a.nurse, side_a.practice))[2]
        b_host = socket_headers(side_b.practice, None)
        assert await _refused("/ws/messaging/", [*b_host, a_cookie]) == 4403
        # A patient session of practice A at practice B.
        ann_cookie = (await _patient(side_a.ann, side_a.practice))[2]
        assert await _refused("/ws/messaging/", [*b_host, ann_cookie]) == 4403
        # Staff of A asking for a thread of B, through A's host: it is not there.
        path = f"/ws/messaging/{side_b.ann_thread.pk}/"
        assert await _refused(path, await _staff(side_a.nurse, side_a.practice)) == 4404
        unknown_host = [(b"host", b"nowhere.practica.test"), (b"origin", b"https://nowhere.practica.test")]
        assert await _refused("/ws/messaging/", unknown_host) == 4404

    _scenario(scenario)


def test_a_reconnecting_client_gets_what_it_missed_and_a_failed_push_loses_nothing(side_a: Side) -> None:
    thread = side_a.ann_thread
    with tenant_context(side_a.practice):
        last_seen = thread.messages.last().pk  # type: ignore[union-attr]
        # Sent while the patient was offline, and its push is dropped (no commit hooks run).
        services.post_staff_reply(thread, side_a.nurse, Role.FRONT_DESK, "while you were away")
        services.add_internal_note(thread, side_a.nurse, Role.FRONT_DESK, "not for the patient")
        assert Message.objects.filter(thread=thread).count() == 3

    async def scenario() -> None:
        patient = await _open(f"/ws/messaging/{thread.pk}/", await _patient(side_a.ann, side_a.practice))
        await patient.send_json_to({"type": "since", "after": last_seen})
        reply = await patient.receive_json_from(timeout=1)
        assert [m["body"] for m in reply["messages"]] == ["while you were away"]
        await patient.send_json_to({"type": "since", "after": "x"})
        assert (await patient.receive_json_from(timeout=1))["type"] == "error"
        await patient.disconnect()

    _scenario(scenario)


def test_a_biller_socket_cannot_reply(side_a: Side) -> None:
    biller = staff(side_a.practice, Role.BILLER)
    thread = side_a.ann_thread

    async def scenario() -> None:
        socket = await _open(f"/ws/messaging/{thread.pk}/", await _staff(biller, side_a.practice))
        await socket.send_json_to({"type": "send", "body": "hello"})
        assert (await socket.receive_json_from(timeout=1))["type"] == "error"
        await socket.disconnect()

    _scenario(scenario)
    with tenant_context(side_a.practice):
        assert thread.messages.count() == 1


def test_socket_work_leaves_the_database_thread_in_no_practice(side_a: Side, side_b: Side) -> None:
    """Sockets of both practices share one database thread: each call enters and leaves its own
    tenant, so nothing of one practice's schema is left for the next call."""

    async def scenario() -> None:
        for side in (side_a, side_b):
            socket = await _open("/ws/messaging/", await _staff(side.nurse, side.practice))
            assert await sync_to_async(current_schema)() == "public"
            await socket.disconnect()

    _scenario(scenario)


def test_staff_without_two_factor_are_refused_where_the_practice_requires_it(side_a: Side) -> None:
    side_a.practice.require_staff_two_factor = True
    side_a.practice.save(update_fields=["require_staff_two_factor"])

    async def scenario() -> None:
        assert await _refused("/ws/messaging/", await _staff(side_a.nurse, side_a.practice)) == 4403

    _scenario(scenario)


def test_a_read_receipt_over_the_socket_reaches_the_other_side(side_a: Side) -> None:
    thread = side_a.ann_thread

    async def scenario() -> None:
        staff_thread = await _open(f"/ws/messaging/{thread.pk}/", await _staff(side_a.nurse, side_a.practice))
        patient = await _open(f"/ws/messaging/{thread.pk}/", await _patient(side_a.ann, side_a.practice))
        await staff_thread.send_json_to({"type": "read"})
        await staff_thread.send_json_to({"type": "since", "after": 0})  # answered after the read is stored
        await staff_thread.receive_json_from(timeout=1)
        await commit()
        receipt = await patient.receive_json_from(timeout=1)
        assert receipt["type"] == "thread" and receipt["staff_read_at"] is not None
        await staff_thread.disconnect()
        await patient.disconnect()

    _scenario(scenario)


def test_group_send_many_publishes_each_message_to_its_own_group_in_one_go() -> None:
    async def scenario() -> None:
        layer = get_channel_layer()
        assert layer is not None
        first, second = await layer.new_channel(), await layer.new_channel()
        await layer.group_add("test.one", first)
        await layer.group_add("test.two", second)
        await layer.group_send_many(
            [("test.one", {"type": "x", "n": 1}), ("test.two", {"type": "x", "n": 2})]
        )
        assert await asyncio.wait_for(layer.receive(first), 1) == {"type": "x", "n": 1}
        assert await asyncio.wait_for(layer.receive(second), 1) == {"type": "x", "n": 2}
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(layer.receive(first), 0.3)
        await layer.group_discard("test.one", first)
        await layer.group_discard("test.two", second)

    _scenario(scenario)


def test_a_publish_from_a_plain_thread_closes_its_connection_with_its_event_loop() -> None:
    """Celery workers and sync views push through async_to_sync, a new event loop per call."""
    layer = get_channel_layer()
    assert layer is not None
    async_to_sync(layer.group_send_many)([("test.nobody", {"type": "x"})])
    assert layer._publishers == {}


def test_a_socket_calls_pushes_go_out_through_the_server_loop(side_a: Side) -> None:
    """Inside a socket's database call the pushes are handed to the event loop, not awaited."""
    thread = side_a.ann_thread

    async def scenario() -> None:
        patient = await _open(f"/ws/messaging/{thread.pk}/", await _patient(side_a.ann, side_a.practice))
        loop = asyncio.get_running_loop()

        def reply_as_a_socket_call_would() -> None:
            with events.pushes_without_waiting(loop), tenant_context(side_a.practice):
                services.post_staff_reply(thread, side_a.nurse, Role.FRONT_DESK, "from the pool")
                run_commit_hooks()

        await sync_to_async(reply_as_a_socket_call_would)()
        event = await patient.receive_json_from(timeout=1)
        assert event["message"]["body"] == "from the pool"
        await patient.disconnect()

    _scenario(scenario)


def test_typing_reaches_only_the_other_side_of_that_thread_and_is_throttled(side_a: Side) -> None:
    thread = side_a.ann_thread
    biller = staff(side_a.practice, Role.BILLER)

    async def scenario() -> None:
        staff_thread = await _open(f"/ws/messaging/{thread.pk}/", await _staff(side_a.nurse, side_a.practice))
        patient = await _open(f"/ws/messaging/{thread.pk}/", await _patient(side_a.ann, side_a.practice))
        inbox = await _open("/ws/messaging/", await _staff(side_a.nurse, side_a.practice))
        bob_list = await _open("/ws/messaging/", await _patient(side_a.bob, side_a.practice))
        reader = await _open(f"/ws/messaging/{thread.pk}/", await _staff(biller, side_a.practice))

        await patient.send_json_to({"type": "typing"})
        hint = await staff_thread.receive_json_from(timeout=1)
        assert hint == {"type": "typing", "thread": str(thread.pk), "author": "patient"}
        assert (await reader.receive_json_from(timeout=1))["author"] == "patient"
        # A second signal straight away is dropped; nobody else hears any of it.
        await patient.send_json_to({"type": "typing"})
        assert await staff_thread.receive_nothing(timeout=0.3)
        for socket in (patient, inbox, bob_list):
            assert await socket.receive_nothing(timeout=0.1)

        await staff_thread.send_json_to({"type": "typing"})
        assert (await patient.receive_json_from(timeout=1))["author"] == "staff"
        # Staff who may only read (a biller) send no hints.
        await reader.send_json_to({"type": "typing"})
        assert await patient.receive_nothing(timeout=0.3)
        for socket in (staff_thread, patient, inbox, bob_list, reader):
            await socket.disconnect()

    _scenario(scenario)
    with tenant_context(side_a.practice):
        assert thread.messages.count() == 1  # hints are never stored
