"""Verifying a patient's phone number with a texted code, sent through Twilio's SDK to the Prism
mock of Twilio's API (tests/notifications/conftest.py).

How the tests learn the code: Prism answers from the spec and keeps nothing we could read back,
so each test seeds the code generator (`phone_verification.new_code`, a one-line function made
to be replaced) with a code of its choosing. The SMS itself still goes over HTTP to Prism, which
checks the request against Twilio's contract; `sent` records each real call's arguments on the
way through, so the tests can read the text that was sent."""

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from notifications import sms
from notifications.models import SmsOptOut
from portal import phone_verification
from portal.models import PhoneVerification, PortalAccount
from practica.accounts.roles import Role
from practica.patients import services as patient_services
from practica.patients.forms import ProfileForm
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.notifications.conftest import twilio_mock, use_twilio  # noqa: F401 - fixtures
from tests.portal.conftest import make_account, portal_client
from tests.portal.test_accessibility import check_page

NUMBER = "+15125550100"
CODE = "482913"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """Texts sent (to Prism, for real) during the test, and the code generator seeded with CODE."""
    request.getfixturevalue("use_twilio")  # the platform SMS account, pointed at Prism
    calls: list[dict[str, Any]] = []
    real_send = sms.send_sms

    def recording_send(account: sms.SmsAccount, **kwargs: Any) -> str:
        calls.append(kwargs)
        return real_send(account, **kwargs)

    monkeypatch.setattr(sms, "send_sms", recording_send)
    monkeypatch.setattr(phone_verification, "new_code", lambda: CODE)
    return calls


def patient_with_phone(practice: Practice, email: str, phone: str = NUMBER) -> tuple[PortalAccount, Client]:
    with tenant_context(practice):
        account = make_account(email, phone=phone)
    return account, portal_client(account, practice)


def test_the_code_verifies_the_number_and_staff_see_it(
    practice_a: Practice, sent: list[dict[str, Any]]
) -> None:
    account, client = patient_with_phone(practice_a, "phone-ok@example.org")
    page = client.get("/portal/profile/phone/")
    assert page.status_code == 200
    check_page(page.content.decode())
    assert "is not verified" in page.content.decode()

    response = client.post("/portal/profile/phone/send/", follow=True)
    assert "We have texted a code to +15125550100" in response.content.decode()
    assert len(sent) == 1
    assert sent[0]["to"] == NUMBER
    # Only the code and the practice's name: nothing about the patient or their care.
    assert sent[0]["body"] == f"{CODE} is your {practice_a.name} verification code."
    with tenant_context(practice_a):
        row = PhoneVerification.objects.get(patient=account.patient)
        assert CODE not in row.code_hash and row.code_hash

    wrong = client.post("/portal/profile/phone/", {"code": "000000"})
    assert wrong.status_code == 400
    html = wrong.content.decode()
    assert "That code is not right. 4 more tries." in html
    assert 'aria-describedby="id_code_error"' in html and 'aria-invalid="true"' in html
    check_page(html)
    malformed = client.post("/portal/profile/phone/", {"code": "12ab"})
    assert "Enter the 6 digits of the text message." in malformed.content.decode()

    assert client.post("/portal/profile/phone/", {"code": CODE}).status_code == 302
    assert f"{NUMBER} is verified" in client.get("/portal/profile/phone/").content.decode()
    assert "Phone number: verified" in client.get("/portal/profile/").content.decode()
    with tenant_context(practice_a):
        assert phone_verification.verified_phone_of(account.patient) == NUMBER
        owner = staff(practice_a, Role.OWNER)
    record = signed_in_client(owner, practice_a).get(f"/patients/{account.patient.pk}/").content.decode()
    assert f"{NUMBER} (verified)" in record


def test_an_expired_code_is_refused(practice_a: Practice, sent: list[dict[str, Any]]) -> None:
    account, client = patient_with_phone(practice_a, "phone-late@example.org")
    client.post("/portal/profile/phone/send/")
    with tenant_context(practice_a):
        PhoneVerification.objects.filter(patient=account.patient).update(
            code_sent_at=timezone.now() - phone_verification.CODE_TTL - datetime.timedelta(seconds=1)
        )
    response = client.post("/portal/profile/phone/", {"code": CODE})
    assert response.status_code == 400
    assert "This code has expired" in response.content.decode()
    with tenant_context(practice_a):
        assert phone_verification.verified_phone_of(account.patient) is None


def test_too_many_wrong_codes_void_the_code(practice_a: Practice, sent: list[dict[str, Any]]) -> None:
    account, client = patient_with_phone(practice_a, "phone-guess@example.org")
    client.post("/portal/profile/phone/send/")
    for _ in range(phone_verification.MAX_ATTEMPTS):
        assert client.post("/portal/profile/phone/", {"code": "111111"}).status_code == 400
    response = client.post("/portal/profile/phone/", {"code": CODE})
    assert "Too many wrong codes. Ask for a new code." in response.content.decode()
    with tenant_context(practice_a):
        assert phone_verification.verified_phone_of(account.patient) is None
    # A new code starts afresh.
    client.post("/portal/profile/phone/send/")
    assert client.post("/portal/profile/phone/", {"code": CODE}).status_code == 302


def test_codes_sent_are_limited(practice_a: Practice, sent: list[dict[str, Any]]) -> None:
    _, client = patient_with_phone(practice_a, "phone-spam@example.org")
    for _ in range(phone_verification.MAX_SENDS_PER_WINDOW):
        client.post("/portal/profile/phone/send/")
    response = client.post("/portal/profile/phone/send/", follow=True)
    assert "Please wait an hour" in response.content.decode()
    assert len(sent) == phone_verification.MAX_SENDS_PER_WINDOW


def test_an_opted_out_number_gets_a_clear_message_and_no_text(
    practice_a: Practice, sent: list[dict[str, Any]]
) -> None:
    _, client = patient_with_phone(practice_a, "phone-stop@example.org")
    with tenant_context(practice_a):
        SmsOptOut.objects.create(phone=NUMBER, keyword="STOP")
    response = client.post("/portal/profile/phone/send/", follow=True)
    assert "replied STOP" in response.content.decode()
    assert "Text START" in response.content.decode()
    assert sent == []


def test_changing_the_number_clears_the_verification(
    practice_a: Practice, sent: list[dict[str, Any]]
) -> None:
    account, client = patient_with_phone(practice_a, "phone-move@example.org")
    client.post("/portal/profile/phone/send/")
    client.post("/portal/profile/phone/", {"code": CODE})
    with tenant_context(practice_a):
        patient = account.patient
        assert phone_verification.verified_phone_of(patient) == NUMBER
        data = {
            key: value
            for key, value in ProfileForm.initial_for(patient, patient_services.profile_of(patient)).items()
        }
    data.update(phone="+1 512 555 0199", date_of_birth=str(data["date_of_birth"]))
    data = {
        key: ("on" if value is True else value) for key, value in data.items() if value not in (None, False)
    }
    assert client.post("/portal/profile/", data).status_code == 302
    with tenant_context(practice_a):
        patient.refresh_from_db()
        assert patient.phone == "+15125550199"
        assert phone_verification.verified_phone_of(patient) is None
        assert PhoneVerification.objects.get(patient=patient).verified_phone == ""
        # Changed back by staff: still not verified, the proof was cleared with the change.
        patient_services.update_patient(patient, {"phone": NUMBER})
        assert phone_verification.verified_phone_of(patient) is None
    assert "Phone number: not verified" in client.get("/portal/profile/").content.decode()


def test_a_number_changed_by_staff_is_no_longer_verified(
    practice_a: Practice, sent: list[dict[str, Any]]
) -> None:
    account, client = patient_with_phone(practice_a, "phone-staff@example.org")
    client.post("/portal/profile/phone/send/")
    client.post("/portal/profile/phone/", {"code": CODE})
    with tenant_context(practice_a):
        patient_services.update_patient(account.patient, {"phone": "+15125550177"})
        assert phone_verification.verified_phone_of(account.patient) is None


def test_a_code_does_not_verify_another_practices_patient(
    practice_a: Practice, practice_b: Practice, sent: list[dict[str, Any]]
) -> None:
    account_a, client_a = patient_with_phone(practice_a, "phone-twin@example.org")
    account_b, client_b = patient_with_phone(practice_b, "phone-twin@example.org")
    client_a.post("/portal/profile/phone/send/")
    # Practice B's patient, same number, types the code sent for practice A.
    response = client_b.post("/portal/profile/phone/", {"code": CODE})
    assert response.status_code == 400
    assert "Ask for a code first" in response.content.decode()
    with tenant_context(practice_b):
        assert phone_verification.verified_phone_of(account_b.patient) is None
    # A's session is worth nothing on B's host.
    at_b = Client(HTTP_HOST=host_of(practice_b))
    at_b.cookies["sessionid"] = client_a.cookies["sessionid"].value
    assert at_b.post("/portal/profile/phone/", {"code": CODE}).status_code == 302
    with tenant_context(practice_b):
        assert phone_verification.verified_phone_of(account_b.patient) is None
    # A's own code still works at A.
    assert client_a.post("/portal/profile/phone/", {"code": CODE}).status_code == 302
    with tenant_context(practice_a):
        assert phone_verification.verified_phone_of(account_a.patient) == NUMBER


def test_without_a_number_or_an_sms_account_nothing_is_sent(practice_a: Practice, settings: Any) -> None:
    settings.TWILIO_ACCOUNT_SID = ""
    _, client = patient_with_phone(practice_a, "phone-none@example.org", phone="")
    page = client.get("/portal/profile/phone/").content.decode()
    assert "No phone number yet" in page
    assert (
        "Add your mobile phone number"
        in client.post("/portal/profile/phone/send/", follow=True).content.decode()
    )
    _, client = patient_with_phone(practice_a, "phone-nosms@example.org")
    response = client.post("/portal/profile/phone/send/", follow=True)
    assert "does not send text messages yet" in response.content.decode()
    assert client.post("/portal/profile/phone/", {"code": CODE}).status_code == 400


def test_a_code_does_not_verify_another_patient_of_the_practice(
    practice_a: Practice, sent: list[dict[str, Any]]
) -> None:
    first, first_client = patient_with_phone(practice_a, "phone-first@example.org")
    second, second_client = patient_with_phone(practice_a, "phone-second@example.org")  # same number
    first_client.post("/portal/profile/phone/send/")
    assert second_client.post("/portal/profile/phone/", {"code": CODE}).status_code == 400
    with tenant_context(practice_a):
        assert phone_verification.verified_phone_of(second.patient) is None
        assert phone_verification.verified_phone_of(first.patient) is None
