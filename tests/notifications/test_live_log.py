"""The delivery log's live updates over the real Redis channel layer: practice A's state changes
reach A's staff sockets only, after commit; the socket needs VIEW_SCHEDULE at that practice."""

from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from notifications.delivery import deliver
from notifications.models import Channel, Kind, Notification
from practica.accounts.roles import Role
from practica.asgi import application
from tenants.models import Practice
from tests.conftest import staff
from tests.factories import Clinic
from tests.messaging.conftest import run_commit_hooks, socket_headers, staff_headers
from tests.notifications.conftest import local

PATH = "/ws/notifications/log/"


@pytest.fixture(autouse=True)
def _keep_the_test_transaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # As in tests/messaging: consumers' database work stays in the test's transaction.
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    yield


def _claimed_sms(setup: Clinic) -> Notification:
    with tenant_context(setup.practice):
        setup.patient.phone = "12"  # not a phone number: delivery fails at once, in or out of quiet hours
        setup.patient.save()
        appointment = setup.book(local(3, 14))
        notification = appointment.notifications.get(kind=Kind.CONFIRMATION, channel=Channel.SMS)
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk).update(
            state=Notification.State.SENDING, claimed_at=now, attempts=1
        )
        notification.refresh_from_db()
    run_commit_hooks()  # the booking's own work, before anyone listens
    return notification


def _fail_delivery(setup: Clinic, notification: Notification) -> None:
    with tenant_context(setup.practice):
        deliver(notification)  # not a phone number: failed


def test_a_state_change_reaches_practice_a_and_never_practice_b(alpha: Clinic, practice_b: Practice) -> None:
    assert "Redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    notification = _claimed_sms(alpha)
    a_headers = staff_headers(staff(alpha.practice, Role.FRONT_DESK), alpha.practice)
    b_headers = staff_headers(staff(practice_b, Role.OWNER), practice_b)

    async def scenario() -> None:
        a_socket = WebsocketCommunicator(application, PATH, headers=a_headers)
        b_socket = WebsocketCommunicator(application, PATH, headers=b_headers)
        assert (await a_socket.connect(timeout=5))[0]
        assert (await b_socket.connect(timeout=5))[0]
        await sync_to_async(_fail_delivery)(alpha, notification)
        assert await a_socket.receive_nothing(timeout=0.3)  # nothing before the commit
        await sync_to_async(run_commit_hooks)()
        event = await a_socket.receive_json_from(timeout=2)
        assert event == {"type": "state", "id": str(notification.pk), "state": "failed", "label": "Failed"}
        assert await b_socket.receive_nothing(timeout=0.5)
        await a_socket.disconnect()
        await b_socket.disconnect()

    async_to_sync(scenario)()
    with tenant_context(alpha.practice):
        assert Notification.objects.get(pk=notification.pk).state == Notification.State.FAILED


def test_the_socket_needs_a_staff_sign_in_with_view_schedule_at_that_practice(
    alpha: Clinic, practice_b: Practice
) -> None:
    anonymous = socket_headers(alpha.practice, None)
    other_practice = staff_headers(staff(practice_b, Role.OWNER), practice_b)
    # B's session presented on A's host: refused, like the back office.
    crossed = [(b"host", anonymous[0][1]), (b"origin", anonymous[1][1]), other_practice[2]]

    async def scenario() -> None:
        for headers in (anonymous, crossed):
            socket = WebsocketCommunicator(application, PATH, headers=headers)
            connected, code = await socket.connect(timeout=5)
            await socket.disconnect()
            assert not connected
            assert code == 4403

    async_to_sync(scenario)()
