"""Routing from memory (practica.core.routing): known hosts skip the Domain lookup, changes to practices
and domains are seen at once, unknown hosts are never remembered, practices stay apart."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings

from practica.core import routing
from tenants.models import Domain, Practice
from tenants.services import suspend_practice
from tests.conftest import host_of


@pytest.fixture(autouse=True)
def _routing_memory_on() -> Iterator[None]:
    routing.forget_routes()
    with override_settings(TENANT_ROUTING_CACHE_SECONDS=60):
        yield
    routing.forget_routes()


class DomainLookups:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += '"tenants_domain"' in sql
        return execute(sql, params, many, context)


def _login_page(host: str) -> tuple[int, bytes, int]:
    lookups = DomainLookups()
    with connection.execute_wrapper(lookups):
        response = Client(HTTP_HOST=host).get("/login/")
    return response.status_code, response.content, lookups.count


def test_a_known_host_is_routed_from_memory(practice_a: Practice) -> None:
    status, content, lookups = _login_page(host_of(practice_a))
    assert (status, lookups) == (200, 1)
    assert practice_a.name.encode() in content
    status, content, lookups = _login_page(host_of(practice_a))
    assert (status, lookups) == (200, 0)
    assert practice_a.name.encode() in content


def test_each_host_keeps_its_own_practice(practice_a: Practice, practice_b: Practice) -> None:
    for _ in range(2):
        _, content_a, _ = _login_page(host_of(practice_a))
        _, content_b, _ = _login_page(host_of(practice_b))
        assert practice_a.name.encode() in content_a and practice_b.name.encode() not in content_a
        assert practice_b.name.encode() in content_b and practice_a.name.encode() not in content_b


def test_suspending_a_practice_takes_effect_at_once(practice_a: Practice) -> None:
    assert _login_page(host_of(practice_a))[0] == 200
    suspend_practice(practice_a)
    # Any page but sign-in (left open for the owner's data export) now shows the notice.
    response = Client(HTTP_HOST=host_of(practice_a)).get("/")
    assert response.status_code == 403
    assert b"is suspended" in response.content


def test_a_removed_domain_stops_routing_at_once(practice_a: Practice) -> None:
    Domain.objects.create(domain="alpha-portal.practica.test", tenant=practice_a)
    assert _login_page("alpha-portal.practica.test")[0] == 200
    Domain.objects.filter(domain="alpha-portal.practica.test").get().delete()
    assert _login_page("alpha-portal.practica.test")[0] == 404


def test_unknown_hosts_are_not_remembered(practice_a: Practice) -> None:
    assert _login_page("nobody.practica.test")[0] == 404
    assert "nobody.practica.test" not in routing._practice_by_host
    Domain.objects.create(domain="nobody.practica.test", tenant=practice_a)
    assert _login_page("nobody.practica.test")[0] == 200


def test_memory_expires(practice_a: Practice, monkeypatch: pytest.MonkeyPatch) -> None:
    _login_page(host_of(practice_a))
    later = routing.time.monotonic() + 61
    monkeypatch.setattr(routing.time, "monotonic", lambda: later)
    assert _login_page(host_of(practice_a))[2] == 1


def test_every_request_gets_its_own_copy(practice_a: Practice) -> None:
    middleware = routing.CachedTenantMiddleware(lambda request: None)
    first = middleware.get_tenant(Domain, host_of(practice_a))
    first.name = "Changed but not saved"
    second = middleware.get_tenant(Domain, host_of(practice_a))
    assert second is not first
    assert (second.pk, second.name) == (practice_a.pk, practice_a.name)


def test_zero_seconds_turns_the_memory_off(practice_a: Practice) -> None:
    with override_settings(TENANT_ROUTING_CACHE_SECONDS=0):
        assert _login_page(host_of(practice_a))[2] == 1
        assert _login_page(host_of(practice_a))[2] == 1
