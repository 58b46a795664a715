"""Suspended and read-only practices: what stays reachable is declared on the views
(practica.core.view_access), so a path that merely starts like an open one is not open."""

import datetime

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from practica.accounts.roles import Role
from practica.core.view_access import OPEN_WHILE_SUSPENDED, WRITABLE_WHILE_READ_ONLY, allows
from tenants.models import Practice
from tenants.services import suspend_practice
from tests.conftest import host_of, signed_in_client, staff


def _marked(mark: str) -> set[str]:
    """The names of the practice host's routes whose view carries `mark`."""
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif allows(pattern.callback, mark):
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver("practica.urls_practice").url_patterns, "")
    return names


def test_the_views_open_while_suspended_or_writable_while_read_only_are_these() -> None:
    """Adding a view to either list is a decision about access: it shows up here."""
    assert _marked(OPEN_WHILE_SUSPENDED) == {
        "login",
        "login_verify",
        "password_forgotten",
        "password_reset_confirm",
        "logout",
        "handoff",
        "health",
        "billing_practice_export",
    }
    assert _marked(WRITABLE_WHILE_READ_ONLY) == {
        "login",
        "login_verify",
        "password_forgotten",
        "password_reset_confirm",
        "logout",
        "handoff",
        "billing_subscription_portal",
        "billing_subscription_checkout",
        "pay_link",
    }


def test_a_suspended_practice_opens_only_the_declared_views(practice_a: Practice) -> None:
    owner = staff(practice_a, Role.OWNER)
    suspend_practice(practice_a)
    anonymous = Client(HTTP_HOST=host_of(practice_a))
    assert anonymous.get("/login/").status_code == 200
    for path in ("/loginfoo", "/loginfoo/", "/login/foo/", "/handoffs/", "/billing/exported/"):
        response = anonymous.get(path)
        assert response.status_code == 403, path
        assert b"Alpha Clinic is suspended" in response.content
    owner_client = signed_in_client(owner, practice_a)
    assert owner_client.get("/billing/export/").status_code == 200
    assert owner_client.get("/patients/").status_code == 403
    api = owner_client.get("/api/v1/patients/")
    assert api.status_code == 403
    assert api.json() == {"code": "practice_suspended", "message": "Alpha Clinic is suspended."}


def test_a_read_only_practice_takes_writes_only_on_the_declared_views(practice_a: Practice) -> None:
    owner = staff(practice_a, Role.OWNER)
    Practice.objects.filter(pk=practice_a.pk).update(
        status=Practice.Status.PAST_DUE, past_due_since=timezone.now() - datetime.timedelta(days=30)
    )
    anonymous = Client(HTTP_HOST=host_of(practice_a))
    for path in ("/loginfoo", "/login-anything/", "/logoutx/", "/pay-me/", "/handoffs/"):
        response = anonymous.post(path)
        assert response.status_code == 403, path
        assert b"is read-only" in response.content
    # Signing in still works: a wrong password is the form's answer, not the read-only page.
    login = anonymous.post("/login/", {"email": owner.email, "password": "wrong"})
    assert login.status_code == 200 and b"is read-only" not in login.content

    client = signed_in_client(owner, practice_a)
    assert client.get("/patients/").status_code == 200
    blocked = client.post("/patients/new/", {"first_name": "A"})
    assert blocked.status_code == 403 and b"is read-only" in blocked.content
    api = client.post("/api/v1/patients/", {}, content_type="application/json")
    assert api.status_code == 403 and api.json()["code"] == "practice_read_only"
    assert "is read-only" in api.json()["message"]
    # The owner can still go and fix the card (the subscription portal is not refused here).
    fix = client.post("/billing/subscription/portal/")
    assert b"is read-only" not in fix.content, fix.status_code
