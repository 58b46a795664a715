"""The security baseline: argon2, brute-force lockout, two-factor an owner can require, idle
timeout, CSRF on every POST, security headers and a Content-Security-Policy."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from practica import settings as production_settings
from practica.accounts.models import User
from practica.accounts.roles import Role
from tenants.models import Practice
from tests.conftest import PUBLIC_HOST, host_of, signed_in_client, staff
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[1]


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


# ---- passwords -----------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id(db: None) -> None:
    user = User.objects.create_user("hash@example.com", "violet-harbour-quartz-7", full_name="H")
    assert user.password.startswith("argon2$argon2id$")
    # The tests hash with cheaper parameters (tests/hashers.py); production uses Django's own.
    assert production_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert settings.PASSWORD_HASHERS[1:] == production_settings.PASSWORD_HASHERS[1:]


def test_an_older_hash_is_upgraded_to_argon2_at_sign_in(practice_a: Practice) -> None:
    from django.contrib.auth.hashers import make_password

    person = staff(practice_a, Role.OWNER)
    User.objects.filter(pk=person.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    response = Client(HTTP_HOST=host_of(practice_a)).post(
        "/login/", {"email": person.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.password.startswith("argon2$")


# ---- brute force -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["practice", "public"])
def test_five_failures_lock_the_login_even_for_the_right_password(practice_a: Practice, host: str) -> None:
    person = staff(practice_a, Role.OWNER)
    browser = Client(HTTP_HOST=host_of(practice_a) if host == "practice" else PUBLIC_HOST)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = browser.post("/login/", {"email": person.email, "password": "wrong-guess-123"})
        assert response.status_code == 200
        assert b"Email or password is incorrect." in response.content
    locked = browser.post("/login/", {"email": person.email, "password": "wrong-guess-123"})
    assert settings.AXES_FAILURE_LIMIT == 5
    assert locked.status_code == 429
    assert b"Too many failed sign-in attempts" in locked.content
    right = browser.post("/login/", {"email": person.email, "password": PASSWORD})
    assert right.status_code == 429
    assert "_auth_user_id" not in browser.session


def test_one_address_trying_many_emails_is_locked_out(practice_a: Practice, settings: Any) -> None:
    """The per-email limit alone would let one address try a few passwords for every email."""
    assert settings.AXES_ADDRESS_FAILURE_LIMIT == 20
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    people = [staff(practice_a, Role.FRONT_DESK) for _ in range(3)]
    attacker = Client(HTTP_HOST=host_of(practice_a), REMOTE_ADDR="198.51.100.23")
    guesses = [person.email for person in people for _ in range(2)]  # 2 each: under the limit of 5
    for email in guesses[:-1]:
        response = attacker.post("/login/", {"email": email, "password": "wrong-guess-123"})
        assert response.status_code == 200 and b"Email or password is incorrect." in response.content
    # The address's 6th failure locks it, as an email's 5th does; then even a right password waits.
    for email, password in ((guesses[-1], "wrong-guess-123"), (people[0].email, PASSWORD)):
        locked = attacker.post("/login/", {"email": email, "password": password})
        assert locked.status_code == 429 and b"Too many failed sign-in attempts" in locked.content
    assert "_auth_user_id" not in attacker.session
    # The people themselves, from their own address, are not locked out.
    colleague = Client(HTTP_HOST=host_of(practice_a), REMOTE_ADDR="203.0.113.50")
    assert colleague.post("/login/", {"email": people[0].email, "password": PASSWORD}).status_code == 302


def test_failures_below_the_limit_do_not_lock(practice_a: Practice) -> None:
    person = staff(practice_a, Role.OWNER)
    browser = Client(HTTP_HOST=host_of(practice_a))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        browser.post("/login/", {"email": person.email, "password": "wrong-guess-123"})
    assert browser.post("/login/", {"email": person.email, "password": PASSWORD}).status_code == 302


# ---- two-factor ------------------------------------------------------------------------------------


def test_owner_requires_two_factor_and_staff_without_a_device_are_sent_to_set_it_up(
    practice_a: Practice,
) -> None:
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    response = owner.post("/settings/security/", {"action": "security", "require_staff_two_factor": "on"})
    assert response.status_code == 302
    practice_a.refresh_from_db()
    assert practice_a.require_staff_two_factor

    person = staff(practice_a, Role.FRONT_DESK)
    browser = signed_in_client(person, practice_a)
    for path in ("/", "/patients/"):
        response = browser.get(path)
        assert response.status_code == 302 and response["Location"] == "/account/two-factor/", path
    api = browser.get("/api/v1/patients/")  # an API client is told, not redirected to a page
    assert api.status_code == 403 and api.json()["code"] == "two_factor_required"

    setup = browser.get("/account/two-factor/")
    assert setup.status_code == 200
    assert b"Alpha Clinic requires two-factor sign-in" in setup.content and b"<svg" in setup.content
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    wrong = browser.post(
        "/account/two-factor/", {"token": "000000" if code_for(device) != "000000" else "111111"}
    )
    assert b"That code is not valid" in wrong.content
    # A wrong code throttles the device for a moment: even the right code is refused at once.
    assert (
        b"That code is not valid" in browser.post("/account/two-factor/", {"token": code_for(device)}).content
    )
    device.refresh_from_db()
    device.throttle_reset()
    done = browser.post("/account/two-factor/", {"token": code_for(device)})
    assert done.status_code == 302 and done["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert browser.get("/patients/").status_code == 200


def test_signing_in_with_a_device_asks_for_the_code(practice_a: Practice) -> None:
    person = staff(practice_a, Role.CLINICIAN)
    device = TOTPDevice.objects.create(user=person, name="phone", confirmed=True)
    browser = Client(HTTP_HOST=host_of(practice_a))
    first = browser.post("/login/", {"email": person.email, "password": PASSWORD})
    assert first["Location"] == "/login/verify/"
    assert browser.get("/patients/").status_code == 302  # not signed in yet
    bad = browser.post("/login/verify/", {"token": "12345"})
    assert b"Enter the 6 digits" in bad.content
    good = browser.post("/login/verify/", {"token": code_for(device)})
    assert good.status_code == 302
    assert browser.get("/patients/").status_code == 200


def test_only_the_owner_can_change_the_two_factor_rule(practice_a: Practice) -> None:
    manager = signed_in_client(staff(practice_a, Role.MANAGER), practice_a)
    response = manager.post("/settings/security/", {"action": "security", "require_staff_two_factor": "on"})
    assert response.status_code == 403
    practice_a.refresh_from_db()
    assert not practice_a.require_staff_two_factor


# ---- sessions ------------------------------------------------------------------------------------


def test_sessions_end_after_the_idle_timeout(practice_a: Practice) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST  # each request pushes the expiry forward
    browser = signed_in_client(staff(practice_a), practice_a)
    assert browser.get("/patients/").status_code == 200
    session = Session.objects.get(session_key=browser.session.session_key)
    remaining = session.expire_date - timezone.now()
    assert datetime.timedelta(minutes=29) < remaining <= datetime.timedelta(minutes=30)
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"

    # Idle for longer than the timeout: the session is gone.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = browser.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_production_defaults_are_safe() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SECURE_", "SESSION_"))}
    # The production settings module itself, not the test settings that importing the package may load.
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "practica.settings",
            "SECRET_KEY": "x" * 50,
            "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
        }
    )
    code = (
        "import json, practica.settings as s; print(json.dumps([s.DEBUG, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_AGE, s.X_FRAME_OPTIONS]))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [False, True, True, 31536000, 1800, "DENY"]
    no_key = {k: v for k, v in env.items() if k != "SECRET_KEY"}
    refused = subprocess.run(
        [sys.executable, "-c", "import practica.settings"],
        cwd=ROOT,
        env=no_key,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr


# ---- CSRF ----------------------------------------------------------------------------------------


def test_csrf_is_enforced_on_every_kind_of_post(practice_a: Practice) -> None:
    person = staff(practice_a, Role.OWNER)
    anonymous_public = Client(HTTP_HOST=PUBLIC_HOST, enforce_csrf_checks=True)
    assert anonymous_public.post("/signup/", {"practice_name": "X"}).status_code == 403
    assert anonymous_public.post("/login/", {"email": person.email, "password": PASSWORD}).status_code == 403
    anonymous_practice = Client(HTTP_HOST=host_of(practice_a), enforce_csrf_checks=True)
    assert (
        anonymous_practice.post("/login/", {"email": person.email, "password": PASSWORD}).status_code == 403
    )

    browser = signed_in_client(person, practice_a)
    browser.handler.enforce_csrf_checks = True
    patient = {"first_name": "C", "last_name": "Srf", "date_of_birth": "1990-01-01", "sex": "U"}
    assert browser.post("/patients/new/", patient).status_code == 403
    assert browser.post("/staff/", {"email": "x@example.com", "role": "biller"}).status_code == 403
    api = browser.post("/api/v1/patients/", patient, content_type="application/json")
    assert api.status_code == 403 and "CSRF" in api.json()["message"]
    assert browser.post("/logout/").status_code == 403

    # The control: the same form with its token goes through.
    browser.get("/patients/new/")
    token = browser.cookies[settings.CSRF_COOKIE_NAME].value
    assert browser.post("/patients/new/", {**patient, "csrfmiddlewaretoken": token}).status_code == 302
    other = {**patient, "first_name": "Dee", "date_of_birth": "1991-02-02"}  # not a likely duplicate
    api = browser.post("/api/v1/patients/", other, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert api.status_code == 201


# ---- headers -------------------------------------------------------------------------------------


def assert_security_headers(response: Any) -> None:
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = {
        part.split()[0]: part.split()[1:]
        for part in response["Content-Security-Policy"].split(";")
        if part.strip()
    }
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_security_headers_and_csp_on_every_kind_of_response(practice_a: Practice) -> None:
    browser = signed_in_client(staff(practice_a), practice_a)
    responses = [
        Client(HTTP_HOST=PUBLIC_HOST).get("/"),
        Client(HTTP_HOST=PUBLIC_HOST).get("/signup/"),
        Client(HTTP_HOST="nobody.practica.test").get("/"),
        Client(HTTP_HOST="nobody.practica.test").get("/api/v1/patients/"),
        Client(HTTP_HOST=host_of(practice_a)).get("/login/"),
        browser.get("/"),
        browser.get("/patients/"),
        browser.get("/audit/"),
        browser.get("/api/v1/patients/"),
        browser.get("/patients/00000000-0000-0000-0000-000000000000/"),
    ]
    for response in responses:
        assert_security_headers(response)


def test_hsts_is_sent_over_https(practice_a: Practice) -> None:
    response = Client(HTTP_HOST=host_of(practice_a)).get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
