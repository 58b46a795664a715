"""Sockets follow the session, on the real Redis channel layer: for each way a session ends or
access changes, the open socket is closed by the change itself (not at its next use), nothing more
arrives on it, and a `since` (or any request) sent on it afterwards is answered with nothing.

Each scenario runs in one event loop; the consumers' database work comes back to the test's thread
and transaction (see conftest), and `run_commit_hooks` plays the commit that announces the change."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from portal import accounts as portal_accounts
from practica.accounts import services as access_services
from practica.accounts.models import Membership, User
from practica.accounts.roles import Role
from practica.asgi import application
from practica.core import access
from practica.messaging import services
from practica.messaging.models import Message
from tenants.services import suspend_practice
from tests.conftest import signed_in_client, staff
from tests.factories import PASSWORD, BillingCompanyMemberFactory
from tests.messaging.conftest import Side, run_commit_hooks, socket_headers
from tests.portal.conftest import portal_client

Headers = list[tuple[bytes, bytes]]
ENDED = {"type": "websocket.close", "code": access.CLOSE_ACCESS_ENDED}
CHANGED = {"type": "websocket.close", "code": access.CLOSE_ACCESS_CHANGED}


def _scenario(test: Callable[[], Awaitable[None]]) -> None:
    assert "Redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    async_to_sync(test)()


async def _open(path: str, headers: Headers) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    assert connected, f"refused with {code}"
    return communicator


async def _connect_code(path: str, headers: Headers) -> Any:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    await communicator.disconnect()
    return True if connected else code


def _in(side: Side, work: Callable[[], object]) -> Callable[[], Awaitable[None]]:
    """`work` in the practice, then its commit."""

    def run() -> None:
        with tenant_context(side.practice):
            work()
            run_commit_hooks()

    return sync_to_async(run)


async def _closed_and_silent(
    socket: WebsocketCommunicator, side: Side, close: dict[str, Any] = ENDED
) -> None:
    """The socket was closed by the change; then a new message on both sides of the thread
    reaches it not, nor does anything it asks for."""
    assert await socket.receive_output(timeout=1) == close
    thread = side.ann_thread
    await _in(side, lambda: services.post_patient_message(thread, side.ann.patient, "after the end"))()
    await _in(side, lambda: services.post_staff_reply(thread, side.nurse, Role.FRONT_DESK, "reply after"))()
    assert await socket.receive_nothing(timeout=0.3)
    await socket.send_json_to({"type": "since", "after": 0})
    await socket.send_json_to({"type": "send", "body": "still here?"})
    await socket.send_json_to({"type": "typing"})
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


def _staff_socket_parts(user: User, side: Side) -> tuple[Client, Headers]:
    client = signed_in_client(user, side.practice)
    return client, socket_headers(side.practice, client)


def _bodies(side: Side) -> list[str]:
    with tenant_context(side.practice):
        return [message.body for message in Message.objects.filter(thread=side.ann_thread)]


def _nothing_stored_after_the_end(side: Side) -> None:
    assert "still here?" not in _bodies(side)


def test_staff_logout_closes_the_sessions_sockets(side_a: Side) -> None:
    client, headers = _staff_socket_parts(side_a.nurse, side_a)
    thread = side_a.ann_thread

    async def scenario() -> None:
        inbox = await _open("/ws/messaging/", headers)
        staff_thread = await _open(f"/ws/messaging/{thread.pk}/", headers)
        log = await _open("/ws/notifications/log/", headers)
        assert (await sync_to_async(client.post)("/logout/")).status_code == 302
        await sync_to_async(run_commit_hooks)()
        for socket in (inbox, staff_thread):
            await _closed_and_silent(socket, side_a)
        assert await log.receive_output(timeout=1) == ENDED
        await log.disconnect()

    _scenario(scenario)
    _nothing_stored_after_the_end(side_a)


def test_patient_logout_closes_the_sessions_sockets_and_nothing_is_posted_as_them(side_a: Side) -> None:
    client = portal_client(side_a.ann, side_a.practice)
    headers = socket_headers(side_a.practice, client)

    async def scenario() -> None:
        listing = await _open("/ws/messaging/", headers)
        patient_thread = await _open(f"/ws/messaging/{side_a.ann_thread.pk}/", headers)
        assert (await sync_to_async(client.post)("/portal/logout/")).status_code == 302
        await sync_to_async(run_commit_hooks)()
        for socket in (listing, patient_thread):
            await _closed_and_silent(socket, side_a)

    _scenario(scenario)
    _nothing_stored_after_the_end(side_a)


def test_a_staff_password_change_closes_the_other_sessions_sockets(side_a: Side) -> None:
    other_place, headers = _staff_socket_parts(side_a.nurse, side_a)
    here = signed_in_client(side_a.nurse, side_a.practice)

    async def scenario() -> None:
        inbox = await _open("/ws/messaging/", headers)
        response = await sync_to_async(here.post)(
            "/account/password/",
            {
                "old_password": PASSWORD,
                "new_password1": "a brand new passphrase 77",
                "new_password2": "a brand new passphrase 77",
            },
        )
        assert response.status_code == 302
        await sync_to_async(run_commit_hooks)()
        await _closed_and_silent(inbox, side_a)
        # The other session is over for pages too; the one that changed it goes on.
        assert (await sync_to_async(other_place.get)("/messages/")).status_code == 302
        assert (await sync_to_async(here.get)("/messages/")).status_code == 200

    _scenario(scenario)


def test_a_patient_password_reset_closes_every_socket_of_the_account(side_a: Side) -> None:
    headers = socket_headers(side_a.practice, portal_client(side_a.ann, side_a.practice))

    async def scenario() -> None:
        patient_thread = await _open(f"/ws/messaging/{side_a.ann_thread.pk}/", headers)
        await _in(side_a, lambda: portal_accounts.reset_password(side_a.ann, "a brand new passphrase 77"))()
        await _closed_and_silent(patient_thread, side_a)
        # And the session cannot open a new one.
        assert await _connect_code("/ws/messaging/", headers) == 4403

    _scenario(scenario)


@pytest.mark.parametrize("who", ["staff", "patient"])
def test_an_idle_session_closes_its_sockets_without_any_event(
    side_a: Side, who: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The idle watch: nothing is announced, the session simply runs out (the clock moves past
    the idle limit, staff SESSION_IDLE_SECONDS, patients PORTAL_IDLE_SECONDS)."""
    monkeypatch.setattr(settings, "SOCKET_ACCESS_CHECK_SECONDS", 0.05)
    if who == "staff":
        headers = _staff_socket_parts(side_a.nurse, side_a)[1]
        idle = settings.SESSION_COOKIE_AGE
    else:
        headers = socket_headers(side_a.practice, portal_client(side_a.ann, side_a.practice))
        idle = settings.PORTAL_IDLE_SECONDS

    async def scenario() -> None:
        socket = await _open(f"/ws/messaging/{side_a.ann_thread.pk}/", headers)
        started = access.now()
        monkeypatch.setattr(access, "now", lambda: started + idle - 60)
        assert await socket.receive_nothing(timeout=0.3)  # a minute left: still open
        monkeypatch.setattr(access, "now", lambda: started + idle + 1)
        await _closed_and_silent(socket, side_a)

    _scenario(scenario)


def test_deactivating_a_member_closes_their_sockets(side_a: Side) -> None:
    owner = staff(side_a.practice, Role.OWNER)
    headers = _staff_socket_parts(side_a.nurse, side_a)[1]
    membership = Membership.objects.get(user=side_a.nurse, practice=side_a.practice)

    async def scenario() -> None:
        inbox = await _open("/ws/messaging/", headers)
        await _in(
            side_a,
            lambda: access_services.set_member_active(membership=membership, active=False, acting_user=owner),
        )()
        await _closed_and_silent(inbox, side_a)

    _scenario(scenario)


def test_a_role_change_closes_the_socket_and_the_new_one_has_the_new_role(side_a: Side) -> None:
    headers = _staff_socket_parts(side_a.nurse, side_a)[1]
    membership = Membership.objects.get(user=side_a.nurse, practice=side_a.practice)
    thread = side_a.ann_thread

    async def scenario() -> None:
        socket = await _open(f"/ws/messaging/{thread.pk}/", headers)
        await _in(side_a, lambda: access_services.change_role(membership=membership, role=Role.BILLER))()
        # Closed with "changed": the client reconnects and is authorised afresh.
        await _closed_and_silent(socket, side_a, close=CHANGED)
        again = await _open(f"/ws/messaging/{thread.pk}/", headers)
        await again.send_json_to({"type": "send", "body": "as a biller now"})
        assert (await again.receive_json_from(timeout=1))["type"] == "error"
        await again.disconnect()

    _scenario(scenario)
    assert "as a biller now" not in _bodies(side_a)


def test_revoking_a_billing_companys_grant_closes_its_peoples_sockets(side_a: Side) -> None:
    member = BillingCompanyMemberFactory.create()
    owner = staff(side_a.practice, Role.OWNER)
    access_services.grant_billing_company(
        practice=side_a.practice, company=member.company, role=Role.BILLER, granted_by=owner
    )
    headers = _staff_socket_parts(member.user, side_a)[1]

    async def scenario() -> None:
        inbox = await _open("/ws/messaging/", headers)
        staff_thread = await _open(f"/ws/messaging/{side_a.ann_thread.pk}/", headers)
        await _in(
            side_a,
            lambda: access_services.revoke_billing_company(practice=side_a.practice, company=member.company),
        )()
        for socket in (inbox, staff_thread):
            await _closed_and_silent(socket, side_a)

    _scenario(scenario)


def test_a_lost_close_message_still_lets_no_push_through(
    side_a: Side, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pub/sub is at-most-once: with the close message lost, the stamp checked before every push
    still stops the next internal note from reaching a company whose grant was revoked."""
    member = BillingCompanyMemberFactory.create()
    access_services.grant_billing_company(
        practice=side_a.practice, company=member.company, role=Role.BILLER, granted_by=None
    )
    headers = _staff_socket_parts(member.user, side_a)[1]
    thread = side_a.ann_thread

    async def lost(groups: list[str]) -> None:
        return None

    async def scenario() -> None:
        staff_thread = await _open(f"/ws/messaging/{thread.pk}/", headers)
        monkeypatch.setattr(access, "_publish", lost)
        await _in(
            side_a,
            lambda: access_services.revoke_billing_company(practice=side_a.practice, company=member.company),
        )()
        assert await staff_thread.receive_nothing(timeout=0.3)  # no close message came
        await _in(side_a, lambda: services.add_internal_note(thread, side_a.nurse, Role.FRONT_DESK, "note"))()
        assert await staff_thread.receive_output(timeout=1) == ENDED  # instead of the note
        assert await staff_thread.receive_nothing(timeout=0.3)
        await staff_thread.send_json_to({"type": "since", "after": 0})
        assert await staff_thread.receive_nothing(timeout=0.3)
        await staff_thread.disconnect()

    _scenario(scenario)


def test_suspending_the_practice_closes_staff_and_patient_sockets(side_a: Side) -> None:
    staff_headers = _staff_socket_parts(side_a.nurse, side_a)[1]
    patient_headers = socket_headers(side_a.practice, portal_client(side_a.ann, side_a.practice))

    async def scenario() -> None:
        inbox = await _open("/ws/messaging/", staff_headers)
        patient_thread = await _open(f"/ws/messaging/{side_a.ann_thread.pk}/", patient_headers)
        await _in(side_a, lambda: suspend_practice(side_a.practice))()
        await _closed_and_silent(inbox, side_a)
        await _closed_and_silent(patient_thread, side_a)
        assert await _connect_code("/ws/messaging/", staff_headers) == 4403

    _scenario(scenario)


def test_requiring_two_factor_closes_sockets_of_sessions_verified_by_password_alone(side_a: Side) -> None:
    verified = staff(side_a.practice, Role.FRONT_DESK)
    device = TOTPDevice.objects.create(user=verified, name="app", confirmed=True)
    verified_client = signed_in_client(verified, side_a.practice)
    session = verified_client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    password_only = _staff_socket_parts(side_a.nurse, side_a)[1]

    async def scenario() -> None:
        weak = await _open("/ws/messaging/", password_only)
        strong = await _open("/ws/messaging/", socket_headers(side_a.practice, verified_client))
        await _in(
            side_a,
            lambda: access_services.set_staff_two_factor_requirement(practice=side_a.practice, required=True),
        )()
        await _closed_and_silent(weak, side_a)
        # The verified session keeps its socket and its pushes.
        event = await strong.receive_json_from(timeout=1)
        assert event["message"]["body"] == "after the end"
        await strong.disconnect()

    _scenario(scenario)


def test_deactivating_a_billing_company_member_ends_their_access_everywhere(side_a: Side) -> None:
    """Their company's admin takes them off: their sockets at the practice close, and every
    session of theirs (at the practice and on the public site's client list) is gone."""
    from django.contrib.sessions.models import Session

    member = BillingCompanyMemberFactory.create()
    admin = BillingCompanyMemberFactory.create(company=member.company, is_admin=True)
    access_services.grant_billing_company(
        practice=side_a.practice, company=member.company, role=Role.BILLER, granted_by=None
    )
    at_practice, headers = _staff_socket_parts(member.user, side_a)
    public = signed_in_client(member.user, None)
    assert public.get("/practices/").status_code == 200
    assert at_practice.get("/patients/").status_code == 200

    async def scenario() -> None:
        inbox = await _open("/ws/messaging/", headers)
        thread = await _open(f"/ws/messaging/{side_a.ann_thread.pk}/", headers)
        await _in(
            side_a,
            lambda: access_services.deactivate_billing_company_member(member=member, acting_user=admin.user),
        )()
        for socket in (inbox, thread):
            await _closed_and_silent(socket, side_a)

    _scenario(scenario)
    assert at_practice.get("/patients/")["Location"].startswith("/login/")
    assert public.get("/practices/")["Location"].startswith("/login/")
    assert not any(
        str(row.get_decoded().get("_auth_user_id")) == str(member.user_id) for row in Session.objects.all()
    )
    # Signing in again opens nothing of the company's clients.
    again = signed_in_client(member.user, side_a.practice)
    assert again.get("/patients/").status_code == 404
