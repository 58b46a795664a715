"""Where a request comes from, when the app runs behind proxies (nginx, a load balancer)."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address for the audit trail and the brute-force lockout.

    Behind TRUSTED_PROXY_COUNT proxies, REMOTE_ADDR is the nearest proxy and each proxy appends
    the address it saw to X-Forwarded-For; only the entries our own proxies added can be
    trusted (a client can put anything at the start), so we count back from the right.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
