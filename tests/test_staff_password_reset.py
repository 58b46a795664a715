"""A staff member who forgot their password: a signed link by email (an outbox row, sent by the
workers), good once and for an hour, the same answer for any address, capped per address and per
network address, audited, and every other session of the login ended by the reset."""

import datetime
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import tenant_context

from notifications.routing.models import AccountEmail
from practica.accounts import password_reset
from practica.accounts.models import Membership
from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from tenants.models import Practice
from tests.conftest import PUBLIC_HOST, host_of, signed_in_client, staff
from tests.factories import PASSWORD

NEW_PASSWORD = "a fresh desk passphrase 4471"


@pytest.fixture(autouse=True)
def _forget_request_counts() -> None:
    # The caps are counted in Redis, which outlives each test's rolled-back transaction.
    cache.clear()


def ask(client: Client, email: str, capture: Any) -> Any:
    with capture(execute=True):
        return client.post("/login/forgot/", {"email": email})


def link_in(message: Any) -> str:
    found = re.search(r"https?://\S+", message.body)
    assert found, message.body
    return found.group(0)


def sign_in(client: Client, email: str, password: str) -> Any:
    return client.post("/login/", {"email": email, "password": password})


def test_a_reset_by_email_ends_every_other_session_and_works_once(
    practice_a: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    user = staff(practice_a, Role.FRONT_DESK, email="desk@alpha.test")
    signed_in_elsewhere = signed_in_client(user, practice_a)
    assert signed_in_elsewhere.get("/patients/").status_code == 200
    client = Client(HTTP_HOST=host_of(practice_a))
    assert 'href="/login/forgot/"' in client.get("/login/").content.decode()

    response = ask(client, "Desk@Alpha.test", django_capture_on_commit_callbacks)
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["desk@alpha.test"] and "within 60 minutes" in message.body
    link = urlsplit(link_in(message))
    assert link.netloc == host_of(practice_a)

    assert client.get(link.path).status_code == 200
    response = client.post(link.path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert urlsplit(signed_in_elsewhere.get("/patients/")["Location"]).path == "/login/"
    assert sign_in(Client(HTTP_HOST=host_of(practice_a)), user.email, PASSWORD).status_code == 200
    assert sign_in(Client(HTTP_HOST=host_of(practice_a)), user.email, NEW_PASSWORD).status_code == 302
    # Used once: the link is worthless now.
    again = client.post(
        link.path, {"password": "another passphrase 77", "password_again": "another passphrase 77"}
    )
    assert again.status_code == 400 and "invalid, used or expired" in again.content.decode()

    with tenant_context(practice_a):
        events = AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk)).order_by("id")
        assert [(e.changed_fields, e.actor_kind, e.actor_email) for e in events] == [
            (["password_reset_requested"], "visitor", ""),
            (["password"], "visitor", "desk@alpha.test"),
        ]
        assert all(e.ip_address == "127.0.0.1" for e in events)


def test_the_email_is_an_outbox_row_sent_after_the_request(
    practice_a: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    staff(practice_a, Role.MANAGER, email="m@alpha.test")
    client = Client(HTTP_HOST=host_of(practice_a))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/login/forgot/", {"email": "m@alpha.test"})
    assert mail.outbox == [] and len(callbacks) == 1
    row = AccountEmail.objects.get(to_address="m@alpha.test")
    assert (row.state, row.practice_schema) == (AccountEmail.State.SCHEDULED, practice_a.schema_name)
    assert "/login/reset/" in row.body


def test_any_address_gets_the_same_answer_and_only_a_login_here_gets_an_email(
    practice_a: Practice, practice_b: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    staff(practice_b, Role.OWNER, email="b-owner@beta.test")
    client = Client(HTTP_HOST=host_of(practice_a))
    answers = []
    for email in ("nobody@nowhere.test", "b-owner@beta.test"):
        response = ask(client, email, django_capture_on_commit_callbacks)
        answers.append((response.status_code, response.content.decode().replace(email, "EMAIL")))
    assert answers[0] == answers[1]
    assert mail.outbox == []  # B's owner has no role at A: A's page tells nothing of them


def test_requests_are_capped_per_address_silently_and_per_network_with_a_message(
    practice_a: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    staff(practice_a, Role.OWNER, email="o@alpha.test")
    for n in range(password_reset.REQUESTS_PER_EMAIL_PER_HOUR + 2):
        client = Client(HTTP_HOST=host_of(practice_a), REMOTE_ADDR=f"198.51.100.{n}")
        response = ask(client, "o@alpha.test", django_capture_on_commit_callbacks)
        assert "Check your email" in response.content.decode()
    assert len(mail.outbox) == password_reset.REQUESTS_PER_EMAIL_PER_HOUR

    one_network = Client(HTTP_HOST=host_of(practice_a), REMOTE_ADDR="203.0.113.9")
    for n in range(password_reset.REQUESTS_PER_ADDRESS_PER_HOUR):
        assert (
            ask(one_network, f"guess{n}@example.org", django_capture_on_commit_callbacks).status_code == 200
        )
    refused = ask(one_network, "someone@example.org", django_capture_on_commit_callbacks)
    assert refused.status_code == 400
    assert "Too many requests from your network" in refused.content.decode()


def test_a_link_expires_after_an_hour(
    practice_a: Practice, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff(practice_a, Role.OWNER, email="late@alpha.test")
    client = Client(HTTP_HOST=host_of(practice_a))
    ask(client, "late@alpha.test", django_capture_on_commit_callbacks)
    path = urlsplit(link_in(mail.outbox[0])).path
    made = password_reset.reset_tokens._now()
    later = made + datetime.timedelta(seconds=password_reset.RESET_LINK_SECONDS + 60)
    monkeypatch.setattr(password_reset.reset_tokens, "_now", lambda: later)
    response = client.post(path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 400 and "Ask for a new link" in response.content.decode()


def test_a_weak_or_mistyped_password_is_a_form_error_and_the_link_stays_good(
    practice_a: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    user = staff(practice_a, Role.OWNER, email="weak@alpha.test")
    client = Client(HTTP_HOST=host_of(practice_a))
    ask(client, "weak@alpha.test", django_capture_on_commit_callbacks)
    path = urlsplit(link_in(mail.outbox[0])).path
    weak = client.post(path, {"password": "123", "password_again": "123"})
    assert weak.status_code == 400 and weak.context["form"].errors["password"]
    mistyped = client.post(path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD + "x"})
    assert mistyped.status_code == 400 and mistyped.context["form"].errors["password_again"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert client.post(path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}).status_code == 302


def test_a_tampered_or_foreign_link_is_refused(
    practice_a: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    user = staff(practice_a, Role.OWNER, email="t@alpha.test")
    other = staff(practice_a, Role.OWNER, email="u@alpha.test")
    client = Client(HTTP_HOST=host_of(practice_a))
    ask(client, "t@alpha.test", django_capture_on_commit_callbacks)
    path = urlsplit(link_in(mail.outbox[0])).path
    token = path.rstrip("/").split("/")[-1]
    for bad in (
        f"/login/reset/{other.pk}/{token}/",
        f"/login/reset/{user.pk}/{token}x/",
        "/login/reset/0/abc/",
    ):
        assert client.get(bad).status_code == 400, bad
    other.refresh_from_db()
    assert other.check_password(PASSWORD)


def test_from_the_public_site_the_link_is_there_and_every_practice_of_the_person_records_it(
    practice_a: Practice, practice_b: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    user = staff(practice_a, Role.BILLER, email="both@example.test")
    Membership.objects.create(user=user, practice=practice_b, role=Role.BILLER)
    client = Client(HTTP_HOST=PUBLIC_HOST)
    ask(client, "both@example.test", django_capture_on_commit_callbacks)
    link = urlsplit(link_in(mail.outbox[0]))
    assert link.netloc == PUBLIC_HOST
    assert (
        client.post(link.path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}).status_code == 302
    )
    for practice in (practice_a, practice_b):
        with tenant_context(practice):
            trail = AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk))
            assert sorted(e.changed_fields[0] for e in trail) == ["password", "password_reset_requested"]
