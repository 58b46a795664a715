"""Optional two-factor sign-in for patients: setting it up, the code step of signing in (with no
way around it), recovery codes, the lockout on wrong codes, turning it off, and practice isolation.

Codes are computed the way an authenticator app does (django-otp's TOTP over the device's key)."""

import time
from binascii import unhexlify
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_tenants.utils import tenant_context

from portal import two_factor
from portal.errors import PortalError
from portal.models import PortalAccount, PortalRecoveryCode, PortalTOTPDevice
from portal.sessions import ACCOUNT_KEY, PENDING_SINCE_KEY
from practica.accounts.roles import Role
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.portal.conftest import PATIENT_PASSWORD, make_account, portal_client
from tests.portal.test_accessibility import check_page


def app_code(device: PortalTOTPDevice, steps_ahead: int = 0) -> str:
    totp = TOTP(unhexlify(device.key), step=two_factor.TOTP_STEP_SECONDS)
    totp.time = time.time() + steps_ahead * two_factor.TOTP_STEP_SECONDS
    return f"{totp.token():06d}"


def not_a_code(device: PortalTOTPDevice) -> str:
    """Six digits the app shows at no step the check accepts now."""
    accepted = {app_code(device, steps) for steps in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in accepted)


def with_two_factor(account: PortalAccount) -> tuple[PortalTOTPDevice, list[str]]:
    """Two-factor sign-in on for `account`, as after the set-up page (call in the practice)."""
    device = PortalTOTPDevice.objects.create(account=account, confirmed=True)
    return device, two_factor._new_recovery_codes(account)


def sign_in(client: Client, email: str, password: str = PATIENT_PASSWORD, next_url: str = "") -> Any:
    return client.post("/portal/login/", {"email": email, "password": password, "next": next_url})


def test_turning_it_on_shows_the_key_then_the_recovery_codes_once(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("twofa-on@example.org")
    client = portal_client(account, practice_a)
    page = client.get("/portal/profile/security/")
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    html = page.content.decode()
    check_page(html)
    with tenant_context(practice_a):
        device = PortalTOTPDevice.objects.get(account=account)
        assert not device.confirmed
        secret = two_factor.secret_of(device)
        shown = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        assert shown in html
        assert "otpauth://totp/" in two_factor.setup_url(device)
        assert practice_a.name.replace(" ", "%20") in two_factor.setup_url(device)
    assert "<svg" in html and "<?xml" not in html
    # A reload shows the same key: the patient may have scanned it already.
    assert shown in client.get("/portal/profile/security/").content.decode()

    wrong = client.post("/portal/profile/security/", {"code": not_a_code(device)})
    assert wrong.status_code == 400
    wrong_html = wrong.content.decode()
    assert "That code is not valid" in wrong_html
    assert 'aria-describedby="id_code_error"' in wrong_html and 'aria-invalid="true"' in wrong_html

    done = client.post("/portal/profile/security/", {"code": app_code(device)})
    assert done.status_code == 200
    assert done["Cache-Control"] == "no-store"
    done_html = done.content.decode()
    check_page(done_html)
    with tenant_context(practice_a):
        assert two_factor.is_enabled(account)
        stored = list(PortalRecoveryCode.objects.filter(account=account).values_list("code_hash", flat=True))
    assert len(stored) == two_factor.RECOVERY_CODE_COUNT
    codes = [
        line.split("<code>")[1].split("</code>")[0] for line in done_html.split("<li>") if "<code>" in line
    ]
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT
    assert not set(codes) & set(stored)  # only keyed hashes are kept
    # Later visits say it is on, and never show the codes again.
    again = client.get("/portal/profile/security/").content.decode()
    check_page(again)
    assert "Two-factor sign-in is on" in again
    assert codes[0] not in again
    assert "on" in client.get("/portal/profile/").content.decode()


def test_sign_in_asks_for_the_code_and_no_page_is_open_before_it(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("twofa-login@example.org")
        device, _ = with_two_factor(account)
    client = Client(HTTP_HOST=host_of(practice_a))
    response = sign_in(client, "twofa-login@example.org", next_url="/portal/book/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/login/code/"
    assert ACCOUNT_KEY not in client.session
    # Going straight to portal pages after the password step leads back to the sign-in page.
    for path in ("/portal/", "/portal/profile/", "/portal/profile/security/", "/portal/messages/"):
        page = client.get(path)
        assert page.status_code == 302, path
        assert page["Location"].startswith("/portal/login/?next="), path
    refused = client.post("/portal/profile/security/off/", {"password_or_code": PATIENT_PASSWORD})
    assert refused.status_code == 302 and refused["Location"].startswith("/portal/login/")

    code_page = client.get("/portal/login/code/")
    assert code_page.status_code == 200
    check_page(code_page.content.decode())
    wrong = client.post("/portal/login/code/", {"code": "12345678"})
    assert wrong.status_code == 400
    assert str(two_factor.WRONG_CODE_MESSAGE) in wrong.content.decode()
    assert 'aria-describedby="id_code_error id_code_helptext"' in wrong.content.decode()
    assert client.get("/portal/").status_code == 302

    key_before = client.session.session_key
    done = client.post("/portal/login/code/", {"code": app_code(device)})
    assert done.status_code == 302
    assert done["Location"] == "/portal/book/"  # where the patient was going
    assert client.session.session_key != key_before
    assert client.get("/portal/").status_code == 200
    # The pending step is spent: the code page now sends to sign-in.
    assert client.get("/portal/login/code/")["Location"] == "/portal/login/"


def test_a_code_works_once(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("twofa-replay@example.org")
        device, _ = with_two_factor(account)
        code = app_code(device)
        two_factor.check_code(account, code)
        with pytest.raises(PortalError) as refused:
            two_factor.check_code(account, code)
        assert refused.value.code == "wrong_code"


def test_a_recovery_code_signs_in_once(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("twofa-recover@example.org")
        _, codes = with_two_factor(account)
    client = Client(HTTP_HOST=host_of(practice_a))
    sign_in(client, "twofa-recover@example.org")
    typed = f"{codes[0][:4].upper()} {codes[0][4:]}"  # case and spacing do not matter
    assert client.post("/portal/login/code/", {"code": typed})["Location"] == "/portal/"
    other = Client(HTTP_HOST=host_of(practice_a))
    sign_in(other, "twofa-recover@example.org")
    assert other.post("/portal/login/code/", {"code": codes[0]}).status_code == 400
    with tenant_context(practice_a):
        assert two_factor.recovery_codes_left(account) == two_factor.RECOVERY_CODE_COUNT - 1


def test_wrong_codes_lock_the_account_and_drop_the_pending_sign_in(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("twofa-lock@example.org")
        _device, codes = with_two_factor(account)
    client = Client(HTTP_HOST=host_of(practice_a))
    sign_in(client, "twofa-lock@example.org")
    for _ in range(two_factor.CODE_FAILURE_LIMIT - 1):
        assert client.post("/portal/login/code/", {"code": "zzzzzzzz"}).status_code == 400
    locked = client.post("/portal/login/code/", {"code": "zzzzzzzz"}, follow=True)
    assert locked.redirect_chain[-1][0] == "/portal/login/"
    assert "Too many wrong codes" in locked.content.decode()
    assert client.get("/portal/login/code/")["Location"] == "/portal/login/"
    # Signing in again does not help: even a right code is refused during the lockout.
    sign_in(client, "twofa-lock@example.org")
    refused = client.post("/portal/login/code/", {"code": codes[1]}, follow=True)
    assert "Too many wrong codes" in refused.content.decode()
    assert client.get("/portal/").status_code == 302
    with tenant_context(practice_a):
        assert two_factor.recovery_codes_left(account) == two_factor.RECOVERY_CODE_COUNT  # none spent


def test_the_code_step_expires(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("twofa-slow@example.org")
        device, _ = with_two_factor(account)
    client = Client(HTTP_HOST=host_of(practice_a))
    sign_in(client, "twofa-slow@example.org")
    session = client.session
    session[PENDING_SINCE_KEY] = int(time.time()) - 6 * 60
    session.save()
    response = client.post("/portal/login/code/", {"code": app_code(device)})
    assert response["Location"] == "/portal/login/"
    assert client.get("/portal/").status_code == 302


def test_a_pending_sign_in_of_practice_a_is_worthless_at_practice_b(
    practice_a: Practice, practice_b: Practice
) -> None:
    with tenant_context(practice_a):
        account = make_account("twofa-travel@example.org")
        device, _ = with_two_factor(account)
    with tenant_context(practice_b):
        # Practice B has a patient with the same email, password and even the same account id.
        twin = make_account("twofa-travel@example.org")
        PortalAccount.objects.filter(pk=twin.pk).update(id=account.pk)
    client = Client(HTTP_HOST=host_of(practice_a))
    sign_in(client, "twofa-travel@example.org")
    at_b = Client(HTTP_HOST=host_of(practice_b))
    at_b.cookies["sessionid"] = client.cookies["sessionid"].value
    response = at_b.post("/portal/login/code/", {"code": app_code(device)})
    assert response.status_code == 302 and response["Location"] == "/portal/login/"
    assert at_b.get("/portal/").status_code == 302


def test_a_device_of_practice_a_does_not_open_practice_b(practice_a: Practice, practice_b: Practice) -> None:
    with tenant_context(practice_a):
        device_a, codes_a = with_two_factor(make_account("twofa-both@example.org"))
    with tenant_context(practice_b):
        device_b, _ = with_two_factor(make_account("twofa-both@example.org"))
    assert device_a.key != device_b.key
    client = Client(HTTP_HOST=host_of(practice_b))
    sign_in(client, "twofa-both@example.org")
    assert client.post("/portal/login/code/", {"code": app_code(device_a)}).status_code == 400
    assert client.post("/portal/login/code/", {"code": codes_a[0]}).status_code == 400
    assert client.get("/portal/").status_code == 302
    assert client.post("/portal/login/code/", {"code": app_code(device_b)})["Location"] == "/portal/"


def test_practice_b_asks_no_code_of_its_own_patient_with_the_same_email(
    practice_a: Practice, practice_b: Practice
) -> None:
    with tenant_context(practice_a):
        with_two_factor(make_account("twofa-only-a@example.org"))
    with tenant_context(practice_b):
        make_account("twofa-only-a@example.org")
    response = sign_in(Client(HTTP_HOST=host_of(practice_b)), "twofa-only-a@example.org")
    assert response["Location"] == "/portal/"


def test_turning_it_off_needs_the_password_or_a_code(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("twofa-off@example.org")
        with_two_factor(account)
    client = portal_client(account, practice_a)
    wrong = client.post("/portal/profile/security/off/", {"password_or_code": "not my password"})
    assert wrong.status_code == 400
    html = wrong.content.decode()
    assert "neither your password nor a valid code" in html
    assert 'aria-describedby="id_password_or_code_error id_password_or_code_helptext"' in html
    check_page(html)
    with tenant_context(practice_a):
        assert two_factor.is_enabled(account)
    assert (
        client.post("/portal/profile/security/off/", {"password_or_code": PATIENT_PASSWORD}).status_code
        == 302
    )
    with tenant_context(practice_a):
        assert not two_factor.is_enabled(account)
        assert not PortalRecoveryCode.objects.filter(account=account).exists()
        # On again, then off with a code from the app.
        device, _codes = with_two_factor(account)
    assert (
        client.post("/portal/profile/security/off/", {"password_or_code": app_code(device)}).status_code
        == 302
    )
    with tenant_context(practice_a):
        assert not two_factor.is_enabled(account)
    # Without it, the password alone signs in again.
    assert sign_in(Client(HTTP_HOST=host_of(practice_a)), "twofa-off@example.org")["Location"] == "/portal/"


def test_guessing_codes_to_turn_it_off_ends_the_session(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("twofa-thief@example.org")
        with_two_factor(account)
    client = portal_client(account, practice_a)
    for _ in range(two_factor.CODE_FAILURE_LIMIT - 1):
        assert client.post("/portal/profile/security/off/", {"password_or_code": "123456"}).status_code == 400
    response = client.post("/portal/profile/security/off/", {"password_or_code": "123456"})
    assert response["Location"] == "/portal/login/"
    assert client.get("/portal/").status_code == 302
    with tenant_context(practice_a):
        assert two_factor.is_enabled(account)


def test_codes_of_one_patient_do_not_open_another_patients_account(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        device, codes = with_two_factor(make_account("twofa-mine@example.org"))
        other = make_account("twofa-theirs@example.org")
        with_two_factor(other)
    client = Client(HTTP_HOST=host_of(practice_a))
    sign_in(client, "twofa-theirs@example.org")
    assert client.post("/portal/login/code/", {"code": codes[0]}).status_code == 400
    assert client.get("/portal/").status_code == 302
    with tenant_context(practice_a):
        assert two_factor.recovery_codes_left(device.account) == two_factor.RECOVERY_CODE_COUNT


def test_staff_can_turn_it_off_for_a_patient_who_lost_everything(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        account = make_account("twofa-lost@example.org")
        with_two_factor(account)
        owner, biller = staff(practice_a, Role.OWNER), staff(practice_a, Role.BILLER)
    record = f"/patients/{account.patient_id}/"
    html = signed_in_client(owner, practice_a).get(record).content.decode()
    assert "Portal two-factor sign-in: on." in html
    url = f"/portal/staff/patients/{account.patient_id}/two-factor/off/"
    assert signed_in_client(biller, practice_a).post(url).status_code == 403
    response = signed_in_client(owner, practice_a).post(url)
    assert response.status_code == 302 and response["Location"] == record
    with tenant_context(practice_a):
        assert not two_factor.is_enabled(account)
    assert sign_in(Client(HTTP_HOST=host_of(practice_a)), "twofa-lost@example.org")["Location"] == "/portal/"
    # A patient session is no staff session.
    assert portal_client(account, practice_a).post(url).status_code == 302


def test_every_device_change_is_audited_and_emailed_through_the_outbox(practice_a: Practice) -> None:
    """Turned on, off by the patient, off by staff: each change is in the practice's audit trail
    and an email to the patient (in their language) is an outbox row of the same transaction,
    sent by the workers, never from the request."""
    from django.core import mail

    from notifications.account_emails import send_due_account_emails
    from notifications.routing.models import AccountEmail
    from practica.audit.models import AuditEvent
    from practica.patients.models import PatientProfile

    with tenant_context(practice_a):
        account = make_account("twofa-told@example.org")
        PatientProfile.objects.create(patient=account.patient, preferred_language="es")
        device = two_factor.pending_device(account)
        mail.outbox.clear()
        two_factor.turn_on(account, app_code(device))
        two_factor.turn_off(account, PATIENT_PASSWORD)
        with_two_factor(account)
        assert two_factor.turn_off_for_patient(account)
        assert not two_factor.turn_off_for_patient(account)  # nothing was on: nothing to tell
        trail = AuditEvent.objects.filter(object_type="portal.portaltotpdevice").order_by("id")
        events = list(trail.values_list("action", "changed_fields"))
        # Set up, confirmed (after the code's step is recorded), removed; set up and removed again.
        assert [action for action, _ in events].count("create") == 2
        assert [action for action, _ in events].count("delete") == 2
        assert ("update", ["confirmed"]) in events
    emails = list(AccountEmail.objects.filter(to_address="twofa-told@example.org").order_by("id"))
    assert [email.subject for email in emails] == [
        "Se agregó una aplicación de autenticación a su cuenta del portal",
        "Se quitó la aplicación de autenticación de su cuenta del portal",
        "Se quitó la aplicación de autenticación de su cuenta del portal",
    ]
    assert "Alpha Clinic" in emails[0].body and "llame al consultorio" in emails[0].body
    assert {email.practice_schema for email in emails} == {practice_a.schema_name}
    assert mail.outbox == []
    assert send_due_account_emails() == 3
    assert [message.subject for message in mail.outbox] == [email.subject for email in emails]
