"""Health check: can this process reach the database and the Redis behind its cache?

`HealthCheckMiddleware` answers `/health/` on every host before tenant routing, because
routing itself reads the database: with the database down, the check must say 503, not fail
with a 500 on the way to the view. Any host is fine, so a load balancer may call it by address.

Load balancers and process supervisors call `/health/` often, so each check is one cheap round
trip with a short timeout: a Redis that hangs must turn the check red in seconds, not hang it.
"""

from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

REDIS_TIMEOUT_SECONDS = 2.0
REDIS_CACHE_BACKENDS = ("django_redis.cache.RedisCache", "django.core.cache.backends.redis.RedisCache")


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _cache_redis_url() -> str | None:
    """The Redis URL of the default cache, or None when the cache is in-process."""
    cache = settings.CACHES["default"]
    if cache["BACKEND"] not in REDIS_CACHE_BACKENDS:
        return None
    location = cache["LOCATION"]
    return str(location[0] if isinstance(location, list | tuple) else location)


def check_redis() -> str:
    """PING the cache's Redis on a fresh connection with a timeout (the cache's own pool has none)."""
    url = _cache_redis_url()
    if url is None:
        return "not configured (in-process fallback)"
    client = redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (("database", check_database), ("redis", check_redis))


def run_checks() -> tuple[bool, dict[str, str]]:
    results: dict[str, str] = {}
    healthy = True
    for name, check in CHECKS:
        try:
            results[name] = check()
        except Exception as exc:  # a health check reports every failure, whatever its kind
            results[name] = f"error: {type(exc).__name__}"
            healthy = False
    return healthy, results


HEALTH_PATH = "/health/"


def health_response() -> JsonResponse:
    healthy, results = run_checks()
    body = {"status": "ok" if healthy else "error", **results}
    response = JsonResponse(body, status=200 if healthy else 503)
    add_never_cache_headers(response)
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return health_response()
        return self.get_response(request)
