"""Where a request comes from, when the app runs behind proxies (nginx, a load balancer)."""

import ipaddress
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address for the audit trail and the brute-force lockout.

    Behind TRUSTED_PROXY_COUNT proxies, REMOTE_ADDR is the nearest proxy and each proxy appends
    the address it saw to X-Forwarded-For; only the entries our own proxies added can be
    trusted (a client can put anything at the start), so we count back from the right.
    """
    return address_of(request.META.get("REMOTE_ADDR") or None, request.META.get("HTTP_X_FORWARDED_FOR", ""))


def socket_client_ip(scope: Mapping[str, Any]) -> str | None:
    """The same for a WebSocket (an ASGI scope)."""
    client = scope.get("client") or (None,)
    headers = dict(scope.get("headers", []))
    return address_of(client[0], headers.get(b"x-forwarded-for", b"").decode("latin1"))


def address_of(remote: str | None, forwarded_header: str) -> str | None:
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in forwarded_header.split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
