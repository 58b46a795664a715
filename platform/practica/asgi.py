"""ASGI entry point (daphne, see infra/): HTTP through Django with django-tenants routing, and
WebSockets under /ws/.

WebSocket consumers register in `websocket_urlpatterns` (their tenant is resolved from the Host
at connect time). Every socket must come from a page of the same host: the browser sends the
session cookie with any cross-site WebSocket, so a foreign page must not be able to open one.
A path no consumer claims is refused at the handshake instead of raising in the server.
"""

import gc
import os
from typing import Any
from urllib.parse import urlsplit

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practica.settings")

django_asgi_app = get_asgi_application()

# Channels needs Django set up first.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import URLPattern, re_path  # noqa: E402

from notifications.sockets import websocket_urlpatterns as notification_sockets  # noqa: E402
from practica.messaging.routing import websocket_urlpatterns as messaging_sockets  # noqa: E402

Scope = dict[str, Any]
ASGIApp = Any

# Close codes in the 4000-4999 range are the application's own; these mirror HTTP's.
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


async def _refuse(code: int, receive: Any, send: Any) -> None:
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": code})


async def no_such_socket(scope: Scope, receive: Any, send: Any) -> None:
    await _refuse(CLOSE_NOT_FOUND, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin1")
    return None


class SameHostOriginValidator:
    """Admit a WebSocket only when its Origin is a page of the host name it connects to."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        origin = urlsplit(_header(scope, b"origin") or "").hostname
        # Ports are left out: behind a proxy the Host header may lack the port the page used.
        host = urlsplit("//" + (_header(scope, b"host") or "")).hostname
        if not host or origin != host:
            await _refuse(CLOSE_FORBIDDEN, receive, send)
            return
        await self.app(scope, receive, send)


# Consumers are added here, e.g. path("ws/schedule/", ScheduleConsumer.as_asgi()).
websocket_urlpatterns: list[URLPattern] = [*messaging_sockets, *notification_sockets]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameHostOriginValidator(
            AuthMiddlewareStack(
                URLRouter([*websocket_urlpatterns, re_path(r"", no_such_socket)])  # type: ignore[arg-type]
            )
        ),
    }
)

# Everything loaded so far (Django, the apps, their modules) lives as long as the process: keep it
# out of the garbage collector's full passes, which otherwise walk it all and stall every socket.
gc.freeze()
