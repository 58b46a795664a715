"""`/health/` answers 200 when the database and Redis respond, 503 (never 500) when one does not."""

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test import Client, override_settings

from practica.core import health
from tenants.models import Practice
from tenants.services import suspend_practice
from tests.conftest import PUBLIC_HOST, host_of


def _closed_port() -> int:
    """A loopback port nothing listens on: bound by us for a moment, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _health(host: str) -> tuple[int, dict[str, Any]]:
    response = Client(HTTP_HOST=host).get("/health/")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.status_code, json.loads(response.content)


def test_healthy_on_the_public_site(db: None) -> None:
    assert _health(PUBLIC_HOST) == (200, {"status": "ok", "database": "ok", "redis": "ok"})


def test_healthy_on_a_practice_host(practice_a: Practice) -> None:
    assert _health(host_of(practice_a)) == (200, {"status": "ok", "database": "ok", "redis": "ok"})


def test_suspended_practice_and_unknown_hosts_still_report_health(practice_a: Practice) -> None:
    suspend_practice(practice_a)
    assert _health(host_of(practice_a))[0] == 200
    # A load balancer may probe by address, with no practice host at all.
    assert _health("10.0.0.7")[0] == 200


def test_redis_down_gives_503_naming_redis(db: None) -> None:
    unreachable = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
        }
    }
    with override_settings(CACHES=unreachable):
        status, body = _health(PUBLIC_HOST)
    assert status == 503
    assert body == {"status": "error", "database": "ok", "redis": "error: ConnectionError"}


@pytest.fixture
def database_on_a_closed_port() -> Iterator[Any]:
    """A real connection wrapper for the test database, but at a port with no server."""
    default = connections["default"]
    settings_dict = {**default.settings_dict, "HOST": "127.0.0.1", "PORT": str(_closed_port())}
    unreachable = default.__class__(settings_dict, alias="health_probe")
    yield unreachable
    unreachable.close()


def test_database_down_gives_503_naming_the_database(
    db: None, database_on_a_closed_port: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "connection", database_on_a_closed_port)
    status, body = _health(PUBLIC_HOST)
    assert status == 503
    assert body == {"status": "error", "database": "error: OperationalError", "redis": "ok"}


def test_in_process_cache_is_reported_not_failed(db: None) -> None:
    local = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    with override_settings(CACHES=local):
        status, body = _health(PUBLIC_HOST)
    assert status == 200
    assert body["redis"] == "not configured (in-process fallback)"
