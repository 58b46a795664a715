"""Benchmark: throughput of a practice-scoped JSON endpoint with and without tenant routing.

Run (after `bin/test` or `bin/run` has set up .venv and the database):

    .venv/bin/python tests/perf/bench_routing.py [--rounds 15] [--requests 100] [--quick]

Method: everything runs in one process, through Django's full request handling (the test
Client: the real middleware stack, URL resolution, views, sessions and database queries, but
no sockets, so the routing share is not diluted by network and server time: a worst case).
Two endpoints of one benchmark practice (cleaned up at the end):
  * `/bench/locations/`: a tiny anonymous JSON view that counts the practice's locations;
  * `/api/v1/me/`: the DRF endpoint, signed in as the practice owner.
Each is served three ways, in alternating rounds of a fixed number of requests:
  * routed   - the production middleware (practica.core.routing): the Host is resolved to the practice
               (from the per-process memory after the first request, see practica.core.routing) and the
               connection pointed at its schema, on every request;
  * uncached - django-tenants' own middleware: a schema switch to public and a Domain lookup
               on every request (what practica.core.routing saves; shown for comparison);
  * unrouted - the same stack and view with the tenant middleware replaced by one that hands
               every request the already-loaded practice, the connection's schema set once.
Overhead is the extra time per request that routing costs: unrouted rps / routed rps - 1. The
machine is shared, so rounds are short, run back and forth, and each round's routed figure is
compared with the unrouted figure of the same round (paired); the verdict uses the median of
those paired overheads, and the best round of each way is shown too. The goal is under 15 %.
"""

import argparse
import statistics
import sys
import time
import types
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.perf.django_env import (
    BENCH_SLUG_PREFIX,
    machine,
    parse_args,
    prepare_database,
    remove_bench_practices,
    setup_django,
)

setup_django()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.test import Client, RequestFactory, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from practica.accounts.models import Membership, User  # noqa: E402
from practica.accounts.roles import Role  # noqa: E402
from practica.accounts.sessions import SESSION_PRACTICE_KEY  # noqa: E402
from practica.core.tenancy import use_public_schema  # noqa: E402
from practica.scheduling.models import Location  # noqa: E402
from tenants.models import Practice  # noqa: E402
from tenants.services import provision_practice  # noqa: E402

BENCH_EMAIL_DOMAIN = "perfbench.invalid"
GOAL_OVERHEAD_PERCENT = 15.0
TENANT_MIDDLEWARE = "practica.core.routing.CachedTenantMiddleware"
UNCACHED_MIDDLEWARE = "django_tenants.middleware.main.TenantMainMiddleware"
URLCONF = "perfbench_urls"
FIXED_MIDDLEWARE = f"{URLCONF}.FixedPracticeMiddleware"

_practice: Practice | None = None


def location_count(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"locations": Location.objects.count()})


class FixedPracticeMiddleware:
    """Stands in for tenant routing: every request gets the practice loaded before the run."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = _practice  # type: ignore[attr-defined]
        return self.get_response(request)


def install_urlconf() -> None:
    """The practice URLs plus the tiny endpoint, as an importable module for both ways."""
    module = types.ModuleType(URLCONF)
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("bench/locations/", location_count),
        path("", include(settings.ROOT_URLCONF)),
    ]
    module.FixedPracticeMiddleware = FixedPracticeMiddleware  # type: ignore[attr-defined]
    sys.modules[URLCONF] = module


def middleware_for(way: str) -> list[str]:
    assert TENANT_MIDDLEWARE in settings.MIDDLEWARE
    replacement = {"routed": TENANT_MIDDLEWARE, "uncached": UNCACHED_MIDDLEWARE, "unrouted": FIXED_MIDDLEWARE}
    return [replacement[way] if name == TENANT_MIDDLEWARE else name for name in settings.MIDDLEWARE]


def set_up_practice() -> tuple[Practice, User]:
    token = uuid.uuid4().hex[:8]
    practice = provision_practice(
        name="Benchmark Routing", slug=f"{BENCH_SLUG_PREFIX}routing-{token}", plan=None
    )
    owner = User.objects.create_user(f"owner-{token}@{BENCH_EMAIL_DOMAIN}", None, full_name="Bench Owner")
    Membership.objects.create(user=owner, practice=practice, role=Role.OWNER)
    with tenant_context(practice):
        for name in ("North", "South", "East"):
            Location.objects.create(name=f"{name} Clinic")
    use_public_schema()
    return practice, owner


class StatementCounter:
    """Counts the SQL statements one request sends (search_path switches included)."""

    def __init__(self) -> None:
        self.statements = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements += 1
        return execute(sql, params, many, context)


def run_round(way: str, url: str, host: str, cookies: dict[str, str], requests: int) -> tuple[float, int]:
    """Requests/s over `requests` sequential GETs, and the SQL statements one request sends."""
    with override_settings(MIDDLEWARE=middleware_for(way), ROOT_URLCONF=URLCONF):
        client = Client(HTTP_HOST=host)
        for name, value in cookies.items():
            client.cookies[name] = value
        if way == "unrouted":
            cast(Any, connection).set_tenant(_practice)
        warm = client.get(url)  # loads the middleware chain; untimed
        assert warm.status_code == 200, f"{way} {url}: {warm.status_code} {warm.content[:200]!r}"
        counter = StatementCounter()
        with connection.execute_wrapper(counter):
            client.get(url)
        started = time.perf_counter()
        for _ in range(requests):
            client.get(url)
        elapsed = time.perf_counter() - started
    return requests / elapsed, counter.statements


def overhead_percent(routed_rps: float, unrouted_rps: float) -> float:
    return (unrouted_rps / routed_rps - 1) * 100


def measure_endpoint(
    url: str, label: str, host: str, cookies: dict[str, str], rounds: int, requests: int
) -> float:
    """Prints the figures of one endpoint; returns routing's paired median overhead in percent."""
    ways = ["routed", "uncached", "unrouted"]
    rps: dict[str, list[float]] = {way: [] for way in ways}
    statements: dict[str, int] = {}
    for index in range(rounds):
        # Back and forth, so that no way always runs first or last in a round.
        for way in ways if index % 2 == 0 else ways[::-1]:
            rate, statements[way] = run_round(way, url, host, cookies, requests)
            rps[way].append(rate)
    paired = {
        way: statistics.median(overhead_percent(r, u) for r, u in zip(rps[way], rps["unrouted"], strict=True))
        for way in ("routed", "uncached")
    }
    print(f"\n{url} ({label})")
    for way in ways:
        print(
            f"  {way:8s} median {statistics.median(rps[way]):6.0f} req/s, best {max(rps[way]):6.0f} req/s"
            f"   ({statements[way]} SQL statements/request)"
        )
    best = overhead_percent(max(rps["routed"]), max(rps["unrouted"]))
    microseconds = (1 / max(rps["routed"]) - 1 / max(rps["unrouted"])) * 1e6
    print(
        f"  routing overhead: {paired['routed']:+.1f} % (median of the {rounds} paired rounds; "
        f"best vs best {best:+.1f} %, {microseconds:.0f} µs/request)  goal < {GOAL_OVERHEAD_PERCENT:.0f} %"
    )
    print(f"  django-tenants' uncached routing for comparison: {paired['uncached']:+.1f} %")
    return paired["routed"]


def routing_cost_microseconds(host: str, repeat: int) -> float:
    """The routing middleware alone on a remembered host, without database or view: CPU time
    per request, a figure the shared machine's noise barely moves."""
    from practica.core.routing import CachedTenantMiddleware

    factory = RequestFactory()
    middleware = CachedTenantMiddleware(lambda request: HttpResponse())
    middleware.process_request(factory.get("/", HTTP_HOST=host))  # remember the host
    started = time.process_time()
    for _ in range(repeat):
        middleware.process_request(factory.get("/", HTTP_HOST=host))
    routed = time.process_time() - started
    started = time.process_time()
    for _ in range(repeat):
        factory.get("/", HTTP_HOST=host)
    building = time.process_time() - started
    use_public_schema()
    return (routed - building) / repeat * 1e6


def main() -> None:
    global _practice
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="rounds per way and endpoint (default 15)")
    parser.add_argument("--requests", type=int, default=100, help="requests per round (default 100)")
    args = parse_args(parser, quick={"rounds": 1, "requests": 10})

    print(f"Tenant routing overhead benchmark: {machine()}")
    print(f"{args.rounds} rounds of {args.requests} requests per way, back and forth, Django test Client")
    prepare_database(BENCH_EMAIL_DOMAIN)
    install_urlconf()
    practice, owner = set_up_practice()
    _practice = practice
    host = f"{practice.slug}.{settings.BASE_DOMAIN}"
    try:
        signed_in = Client(HTTP_HOST=host)
        signed_in.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
        session = signed_in.session
        session[SESSION_PRACTICE_KEY] = practice.schema_name
        session.save()
        owner_cookies = {settings.SESSION_COOKIE_NAME: session.session_key or ""}
        endpoints = [
            ("/bench/locations/", {}, "tiny JSON, anonymous"),
            ("/api/v1/me/", owner_cookies, "DRF, signed in"),
        ]
        results = []
        for url, cookies, label in endpoints:
            results.append(measure_endpoint(url, label, host, cookies, args.rounds, args.requests))
        alone = routing_cost_microseconds(host, repeat=100 if args.quick else 5000)
        print(f"\nRouting middleware alone (remembered host, no database): {alone:.0f} µs CPU/request")
        verdict = "met" if max(results) < GOAL_OVERHEAD_PERCENT else "NOT met"  # judged on the paired medians
        print(f"\nGoal of under {GOAL_OVERHEAD_PERCENT:.0f} % routing overhead: {verdict}")
    finally:
        use_public_schema()
        removed = remove_bench_practices(BENCH_EMAIL_DOMAIN)
        print(f"Removed {removed} benchmark practice(s), their schemas and owners.")


if __name__ == "__main__":
    main()
