import re
import time
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django_tenants.utils import tenant_context

from notifications.account_emails import send_due_account_emails
from notifications.routing.models import AccountEmail
from portal import accounts, tokens
from portal.models import PortalAccount
from portal.sessions import SEEN_KEY
from practica.accounts.roles import Role
from practica.patients.models import Patient
from tenants.models import Practice
from tests import flaky_mail
from tests.conftest import host_of, signed_in_client, staff
from tests.portal.conftest import PATIENT_PASSWORD, make_account, portal_client

NEW_PASSWORD = "another fine passphrase 7"


def link_in(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/portal/\S+)", str(message.body))
    assert match, message.body
    return match.group(1)


def register(client: Client, email: str = "maria@example.org", **overrides: str) -> Any:
    data = {
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": "1985-04-02",
        "email": email,
        "password": PATIENT_PASSWORD,
        "password_again": PATIENT_PASSWORD,
        **overrides,
    }
    return client.post("/portal/register/", data)


def sign_in(client: Client, email: str, password: str = PATIENT_PASSWORD) -> Any:
    return client.post("/portal/login/", {"email": email, "password": password})


def test_register_verify_and_sign_in(practice_a: Practice, django_capture_on_commit_callbacks: Any) -> None:
    client = Client(HTTP_HOST=host_of(practice_a))
    with django_capture_on_commit_callbacks(execute=True):  # emails are queued on commit
        response = register(client)
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    with tenant_context(practice_a):
        account = PortalAccount.objects.get(email="maria@example.org")
        assert account.password.startswith("argon2")
        assert not account.is_verified
        assert account.patient.last_name == "Lopez"
    assert len(mail.outbox) == 1
    verify_link = link_in(mail.outbox[0])
    assert verify_link.startswith("/portal/verify/")

    # Before confirming: refused, with a fresh link sent.
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_in(client, "maria@example.org")
    assert "confirm your email address first" in response.content.decode()
    assert len(mail.outbox) == 2

    response = client.get(verify_link)
    assert response.status_code == 302
    response = sign_in(client, "Maria@Example.org")
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    home = client.get("/portal/")
    assert home.status_code == 200
    assert "Hello, Maria" in home.content.decode()


def test_register_with_a_known_email_creates_nothing_and_tells_the_owner(
    practice_a: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(practice_a):
        make_account("known@example.org")
        patients_before = Patient.objects.count()
    client = Client(HTTP_HOST=host_of(practice_a))
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, email="KNOWN@example.org")
    assert "Check your email" in response.content.decode()  # the same page as a new address
    with tenant_context(practice_a):
        assert Patient.objects.count() == patients_before
        assert PortalAccount.objects.filter(email__iexact="known@example.org").count() == 1
    assert mail.outbox[0].subject == "Someone tried to register with your email"


def test_registration_errors_are_tied_to_their_fields(practice_a: Practice) -> None:
    client = Client(HTTP_HOST=host_of(practice_a))
    response = register(client, password="short", password_again="short", date_of_birth="2999-01-01")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_date_of_birth"' in html
    field = re.search(r'<input[^>]*id="id_date_of_birth"[^>]*>', html)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="id_date_of_birth_error"' in field.group(0)
    assert 'id="id_date_of_birth_error"' in html
    assert "Date of birth cannot be in the future." in html  # the patient service's rule
    assert 'id="id_password_again_error"' not in html  # they match
    assert 'for="id_email"' in html  # every field labelled


def test_verification_link_is_bound_to_its_practice_and_expires(
    practice_a: Practice, practice_b: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tenant_context(practice_a):
        account = make_account("late@example.org", verified=False)
        token = tokens.make_verification_token(account)
    response = Client(HTTP_HOST=host_of(practice_b)).get(f"/portal/verify/{token}/")
    assert response.status_code == 400
    monkeypatch.setattr(tokens, "VERIFY_MAX_AGE_SECONDS", -1)
    response = Client(HTTP_HOST=host_of(practice_a)).get(f"/portal/verify/{token}/")
    assert response.status_code == 400
    assert "invalid or has expired" in response.content.decode()
    with tenant_context(practice_a):
        account.refresh_from_db()
        assert not account.is_verified


def test_wrong_password_then_lockout(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        make_account("lock@example.org")
    client = Client(HTTP_HOST=host_of(practice_a))
    for _ in range(accounts.LOGIN_FAILURE_LIMIT):
        response = sign_in(client, "lock@example.org", "wrong password here")
        assert response.status_code == 200
        assert accounts.SIGN_IN_ERROR in response.content.decode()
    # Now even the right password is refused, with a clear reason.
    response = sign_in(client, "lock@example.org")
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert client.get("/portal/").status_code == 302
    # Another address (IP) is not locked out by someone else's guesses.
    other = Client(HTTP_HOST=host_of(practice_a), REMOTE_ADDR="203.0.113.9")
    assert sign_in(other, "lock@example.org").status_code == 302


def test_unknown_email_gets_the_same_error_as_a_wrong_password(practice_a: Practice) -> None:
    response = sign_in(Client(HTTP_HOST=host_of(practice_a)), "nobody@example.org")
    assert accounts.SIGN_IN_ERROR in response.content.decode()


def test_staff_invitation_links_the_existing_record(
    practice_a: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(practice_a):
        patient = Patient.objects.create(
            first_name="Tom", last_name="Reed", date_of_birth="1970-01-31", email="tom@example.org"
        )
        with django_capture_on_commit_callbacks(execute=True):
            link = accounts.invite_patient_to_portal(patient)
    path = link.split("practica.test", 1)[1]
    assert mail.outbox[0].to == ["tom@example.org"]
    assert path in mail.outbox[0].body
    client = Client(HTTP_HOST=host_of(practice_a))
    page = client.get(path)
    assert "Welcome, Tom" in page.content.decode()

    wrong = client.post(
        path, {"date_of_birth": "1970-02-01", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert 'id="id_date_of_birth_error"' in wrong.content.decode()
    response = client.post(
        path, {"date_of_birth": "1970-01-31", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/portal/").status_code == 200
    with tenant_context(practice_a):
        account = PortalAccount.objects.get(patient=patient)
        assert account.is_verified
        assert Patient.objects.filter(email="tom@example.org").count() == 1  # no duplicate record
    again = Client(HTTP_HOST=host_of(practice_a)).get(path)
    assert again.status_code == 400
    assert "already been used" in again.content.decode()


def test_invitation_needs_an_email_and_no_account(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        no_email = Patient.objects.create(first_name="A", last_name="B", date_of_birth="1990-01-01")
        with pytest.raises(accounts.PortalError, match="email address"):
            accounts.invite_patient_to_portal(no_email)
        account = make_account("has@example.org")
        with pytest.raises(accounts.PortalError, match="already has"):
            accounts.invite_patient_to_portal(account.patient)


def test_password_reset_by_email(practice_a: Practice, django_capture_on_commit_callbacks: Any) -> None:
    with tenant_context(practice_a):
        make_account("forgot@example.org")
    client = Client(HTTP_HOST=host_of(practice_a))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/password-reset/", {"email": "forgot@example.org"})
    assert "Check your email" in response.content.decode()
    path = link_in(mail.outbox[0])
    response = client.post(path, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert response.status_code == 302
    assert sign_in(client, "forgot@example.org").status_code == 200  # old password gone
    assert sign_in(client, "forgot@example.org", NEW_PASSWORD).status_code == 302
    assert Client(HTTP_HOST=host_of(practice_a)).get(path).status_code == 400  # used once

    # An unknown address gets the same page and no email.
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/portal/password-reset/", {"email": "stranger@example.org"})
    assert len(mail.outbox) == 1


def test_idle_session_ends(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("idle@example.org")
    client = portal_client(account, practice_a)
    assert client.get("/portal/").status_code == 200
    session = client.session
    session[SEEN_KEY] = int(time.time()) - 16 * 60
    session.save()
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")
    assert "without activity" in client.get(response["Location"]).content.decode()


def test_logout_ends_the_patient_session(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("bye@example.org")
    client = portal_client(account, practice_a)
    assert client.post("/portal/logout/").status_code == 302
    assert client.get("/portal/").status_code == 302


def test_one_account_is_locked_after_failures_from_many_addresses(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        make_account("spread@example.org")
    for n in range(accounts.ACCOUNT_FAILURE_LIMIT):
        client = Client(HTTP_HOST=host_of(practice_a), REMOTE_ADDR=f"198.51.100.{n}")
        sign_in(client, "spread@example.org", "guess number one")
    fresh = Client(HTTP_HOST=host_of(practice_a), REMOTE_ADDR="192.0.2.200")
    assert "Too many failed attempts" in sign_in(fresh, "spread@example.org").content.decode()


def test_one_address_trying_many_emails_is_locked_out(
    practice_a: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "ADDRESS_FAILURE_LIMIT", 4)
    with tenant_context(practice_a):
        make_account("target@example.org")
    client = Client(HTTP_HOST=host_of(practice_a), REMOTE_ADDR="198.51.100.77")
    for n in range(4):  # one guess each: far under the per-email limits
        assert accounts.SIGN_IN_ERROR in sign_in(client, f"guess{n}@example.org", "guess").content.decode()
    assert "Too many failed attempts" in sign_in(client, "target@example.org").content.decode()
    # The patient, from their own address, signs in.
    own = Client(HTTP_HOST=host_of(practice_a), REMOTE_ADDR="203.0.113.77")
    assert sign_in(own, "target@example.org").status_code == 302


def test_requests_that_send_email_are_rate_limited(practice_a: Practice) -> None:
    client = Client(HTTP_HOST=host_of(practice_a))
    for _ in range(accounts.EMAIL_REQUESTS_PER_HOUR):
        client.post("/portal/password-reset/", {"email": "anyone@example.org"})
    response = client.post("/portal/password-reset/", {"email": "anyone@example.org"})
    assert response.status_code == 200
    assert "Too many requests from your network" in response.content.decode()
    response = register(client, email="new@example.org")
    assert "Too many requests from your network" in response.content.decode()
    with tenant_context(practice_a):
        assert not PortalAccount.objects.filter(email="new@example.org").exists()


def test_staff_invite_a_patient_from_the_back_office(
    practice_a: Practice, practice_b: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(practice_a):
        patient = Patient.objects.create(
            first_name="Ina", last_name="Vos", date_of_birth="1960-06-06", email="ina@example.org"
        )
    path = f"/portal/staff/invite/{patient.pk}/"
    front_desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    assert front_desk.get(path).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = front_desk.post(path)
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"
    assert mail.outbox[-1].to == ["ina@example.org"]
    assert "/portal/invite/" in mail.outbox[-1].body

    biller = signed_in_client(staff(practice_a, Role.BILLER), practice_a)
    assert biller.post(path).status_code == 403
    # Practice B's staff cannot reach A's patient, and a patient session is not staff.
    assert signed_in_client(staff(practice_b, Role.OWNER), practice_b).post(path).status_code == 404
    with tenant_context(practice_a):
        account = make_account("p@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        assert portal_client(account, practice_a).post(path).status_code == 302
    assert len(mail.outbox) == 1


def test_a_mail_server_down_does_not_fail_the_request_and_the_email_is_retried(
    practice_a: Practice, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The reset email is a row of the request's transaction, sent by the workers after the commit,
    and tried again later when the mail server refuses it."""
    with tenant_context(practice_a):
        make_account("forgot@example.org")
    settings.EMAIL_BACKEND = "tests.flaky_mail.EmailBackend"
    flaky_mail.EmailBackend.failures, flaky_mail.EmailBackend.attempts = 1, 0
    client = Client(HTTP_HOST=host_of(practice_a))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/password-reset/", {"email": "forgot@example.org"})
        assert flaky_mail.EmailBackend.attempts == 0  # nothing is sent inside the request
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    row = AccountEmail.objects.get(to_address="forgot@example.org")
    assert (row.state, row.attempts, mail.outbox) == (AccountEmail.State.SCHEDULED, 1, [])
    assert send_due_account_emails(now=row.due_at) == 1  # the retry
    [sent] = mail.outbox
    assert sent.to == ["forgot@example.org"] and "/portal/password-reset/" in str(sent.body)
