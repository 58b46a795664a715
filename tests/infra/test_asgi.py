"""The ASGI router: WebSockets from another site are refused, unknown socket paths are closed
cleanly, and HTTP goes through Django with tenant routing."""

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.db import connections

from practica.asgi import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, SameHostOriginValidator, application
from tenants.models import Practice
from tests.conftest import host_of


async def _accept_any_socket(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await receive()


def _connect(path: str, headers: list[tuple[bytes, bytes]], app: Any = application) -> Any:
    async def attempt() -> Any:
        communicator = WebsocketCommunicator(app, path, headers=headers)
        result = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return result

    return async_to_sync(attempt)()


def test_socket_from_another_site_is_refused() -> None:
    headers = [(b"host", b"alpha.practica.test"), (b"origin", b"https://evil.example")]
    assert _connect("/ws/anything/", headers) == (False, CLOSE_FORBIDDEN)


def test_socket_without_origin_is_refused() -> None:
    assert _connect("/ws/anything/", [(b"host", b"alpha.practica.test")]) == (False, CLOSE_FORBIDDEN)


def test_origin_of_the_same_host_name_is_admitted_whatever_the_port() -> None:
    same_host = SameHostOriginValidator(_accept_any_socket)
    headers = [(b"host", b"alpha.practica.test"), (b"origin", b"https://alpha.practica.test:8443")]
    assert _connect("/ws/x/", headers, same_host) == (True, None)
    sibling = [(b"host", b"alpha.practica.test"), (b"origin", b"https://beta.practica.test")]
    assert _connect("/ws/x/", sibling, same_host) == (False, CLOSE_FORBIDDEN)


def test_same_host_socket_to_an_unknown_path_is_closed_as_not_found() -> None:
    headers = [(b"host", b"alpha.practica.test"), (b"origin", b"https://alpha.practica.test")]
    assert _connect("/ws/no-such-socket/", headers) == (False, CLOSE_NOT_FOUND)


def test_http_goes_through_tenant_routing(practice_a: Practice, monkeypatch: pytest.MonkeyPatch) -> None:
    # Django's ASGI handler runs each request's sync code in a thread of its own: keep that
    # thread's connection for no longer than the request, so it cannot outlive the test.
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)

    async def get() -> Any:
        communicator = HttpCommunicator(
            application, "GET", "/login/", headers=[(b"host", host_of(practice_a).encode())]
        )
        response = await communicator.get_response(timeout=10)
        # Let the handler finish the request (request_finished closes the connection).
        await communicator.send_input({"type": "http.disconnect"})
        await communicator.wait(timeout=5)
        return response

    response = async_to_sync(get)()
    assert response["status"] == 200
    assert practice_a.name.encode() in response["body"]
