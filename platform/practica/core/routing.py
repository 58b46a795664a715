"""Tenant routing with a short-lived, per-process memory of which host is which practice.

django-tenants' middleware spends two database round trips on every request before any view
runs: it switches the connection to the public schema and looks the Domain up. For a small
JSON endpoint that doubled the time per request (tests/perf/bench_routing.py). Here a host
seen in the last TENANT_ROUTING_CACHE_SECONDS is routed from memory, so a request pays only
the switch to its practice's schema, which it needs anyway.

Staleness is bounded: any save or delete of a practice or a domain clears this process's memory
at once; other processes notice within TENANT_ROUTING_CACHE_SECONDS (a suspension, a status
change or a removed custom domain takes effect within that time). Unknown hosts are never
remembered, so a new practice or domain is reachable at once. 0 turns the memory off.
"""

import copy
import threading
import time
from typing import Any

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import remove_www

from tenants.models import Domain, Practice

_lock = threading.Lock()
_practice_by_host: dict[str, tuple[float, Practice]] = {}


def forget_routes(**kwargs: Any) -> None:
    with _lock:
        _practice_by_host.clear()


for _model in (Practice, Domain):
    post_save.connect(forget_routes, sender=_model, dispatch_uid=f"forget_routes_save_{_model.__name__}")
    post_delete.connect(forget_routes, sender=_model, dispatch_uid=f"forget_routes_delete_{_model.__name__}")


class CachedTenantMiddleware(TenantMainMiddleware):
    @staticmethod
    def hostname_from_request(request: Any) -> str:
        """Host names are case-insensitive (and may end in the root's dot): `Alpha.Example.com.`
        is the practice at `alpha.example.com`, as Domain rows are kept in lower case."""
        return remove_www(request.get_host().split(":")[0].rstrip(".").lower())

    def get_tenant(self, domain_model: Any, hostname: str) -> Practice:
        seconds = settings.TENANT_ROUTING_CACHE_SECONDS
        if seconds <= 0:
            return super().get_tenant(domain_model, hostname)
        now = time.monotonic()
        with _lock:
            remembered = _practice_by_host.get(hostname)
        if remembered is None or remembered[0] <= now:
            practice = super().get_tenant(domain_model, hostname)  # unknown hosts raise: not kept
            remembered = (now + seconds, practice)
            with _lock:
                _practice_by_host[hostname] = remembered
        # Each request gets its own copy: views may change request.practice before saving it.
        return copy.copy(remembered[1])
