"""Patients with portal accounts and threads in practices A and B, and helpers for sockets."""

from collections.abc import Iterator
from dataclasses import dataclass
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context

from portal.models import PortalAccount
from practica.accounts.models import User
from practica.accounts.roles import Role
from practica.messaging import services
from practica.messaging.models import Thread
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.portal.conftest import make_account, portal_client


@dataclass
class Side:
    practice: Practice
    nurse: User  # front desk: reads and replies
    ann: PortalAccount
    bob: PortalAccount
    ann_thread: Thread
    bob_thread: Thread


def _side(practice: Practice, tag: str) -> Side:
    nurse = staff(practice, Role.FRONT_DESK)
    with tenant_context(practice):
        ann = make_account(f"ann-{tag}@example.com", first_name="Ann")
        bob = make_account(f"bob-{tag}@example.com", first_name="Bob")
        ann_thread = services.start_thread(ann.patient, "Can I get a refill?")
        bob_thread = services.start_thread(bob.patient, "Question about my bill")
    # As if committed before the test. Nobody is listening yet, so the live pushes are dropped
    # rather than sent: a late one could reach a socket the test opens next and be taken for its own.
    with mock.patch("practica.messaging.events._send"):
        run_commit_hooks()
    return Side(practice, nurse, ann, bob, ann_thread, bob_thread)


@pytest.fixture
def side_a(practice_a: Practice) -> Side:
    return _side(practice_a, "a")


@pytest.fixture
def side_b(practice_b: Practice) -> Side:
    return _side(practice_b, "b")


@pytest.fixture(autouse=True)
def _keep_the_test_transaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Consumers' database work runs on the test's own thread and connection (async_to_sync sends
    thread-sensitive calls back to it), inside the test's transaction. Channels closes "old"
    connections around each call, which would end that transaction: Django's test client turns the
    same clean-up off for requests."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    yield


def run_commit_hooks() -> None:
    """Run what a commit would run: the test's transaction is rolled back, never committed."""
    while connection.run_on_commit:
        callbacks = connection.run_on_commit
        connection.run_on_commit = []
        for entry in callbacks:
            entry[1]()  # (savepoint ids, callback, robust)


def socket_headers(practice: Practice, client: Client | None) -> list[tuple[bytes, bytes]]:
    host = host_of(practice).encode()
    headers = [(b"host", host), (b"origin", b"https://" + host)]
    if client is not None:
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    return headers


def staff_headers(user: User, practice: Practice) -> list[tuple[bytes, bytes]]:
    return socket_headers(practice, signed_in_client(user, practice))


def patient_headers(account: PortalAccount, practice: Practice) -> list[tuple[bytes, bytes]]:
    return socket_headers(practice, portal_client(account, practice))
