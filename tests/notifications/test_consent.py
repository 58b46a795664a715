"""Opting out of texts and back in goes through notifications.consent whatever the door: a text
(STOP/START, Twilio's OptOutType), Twilio's refusal of a text (21610), the portal's profile, the
back office's profile page and the API; each change is in the audit trail with its actor."""

import ast
import importlib
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps

from notifications import consent
from notifications.models import SmsOptOut
from notifications.services import save_sms_route
from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.patients.errors import InvalidPatient
from practica.patients.models import Patient, PatientProfile
from tests.conftest import host_of, signed_in_client, staff
from tests.factories import Clinic, PatientFactory
from tests.notifications.test_webhooks import (
    INBOUND_URL,
    PATIENT_PHONE,
    SERVICE,
    TOKEN,
    keeping_schema,
    post_signed,
    sent_sms,
    status_url,
    text,
)
from tests.portal.conftest import make_account, portal_client

ROOT = Path(__file__).resolve().parents[2]
sync_migration = importlib.import_module("notifications.migrations.0005_consent_follows_opt_outs")
OPTED_OUT = "This number has asked us to stop texting it (it replied STOP)."


@pytest.fixture
def routed(alpha: Clinic) -> Clinic:
    """Alpha, whose texts come and go through its own Twilio Messaging Service."""
    save_sms_route(
        account_sid="AC" + "b2" * 16,
        auth_token=TOKEN,
        messaging_service_sid=SERVICE,
        from_number="+15550009999",
    )
    return alpha


def consenting(clinic: Clinic) -> Patient:
    """Maria (PATIENT_PHONE), who allows texts."""
    patient = clinic.patient
    PatientProfile.objects.create(patient=patient, sms_consent=True)
    return patient


def allows_texts(patient: Patient) -> bool:
    return PatientProfile.objects.get(patient=patient).sms_consent


def changes_by(kind: str, object_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(actor_kind=kind, object_type=object_type).exclude(action="view"))


def test_stop_blocks_the_number_and_withdraws_every_sharing_patient_s_consent(routed: Clinic) -> None:
    maria = consenting(routed)
    sister = PatientFactory.create(phone="555-201-0001")  # the same phone, typed otherwise
    PatientProfile.objects.create(patient=sister, sms_consent=True)
    other = PatientFactory.create(phone="+15552010002")
    PatientProfile.objects.create(patient=other, sms_consent=True)

    post_signed(INBOUND_URL, text("PARAR"))
    assert SmsOptOut.objects.get(phone=PATIENT_PHONE).keyword == "PARAR"
    assert (allows_texts(maria), allows_texts(sister), allows_texts(other)) == (False, False, True)
    assert changes_by("webhook", "notifications.smsoptout")
    assert {e.object_id for e in changes_by("webhook", "patients.patientprofile")} == {
        str(PatientProfile.objects.get(patient=p).pk) for p in (maria, sister)
    }

    post_signed(INBOUND_URL, text("START"))
    assert not SmsOptOut.objects.filter(phone=PATIENT_PHONE).exists()
    assert (allows_texts(maria), allows_texts(sister)) == (True, True)


def test_twilio_s_own_stop_and_start_are_mirrored_through_the_service(routed: Clinic) -> None:
    maria = consenting(routed)
    post_signed(INBOUND_URL, text("CANCEL", OptOutType="STOP"))
    assert SmsOptOut.objects.get(phone=PATIENT_PHONE).keyword == "CANCEL"
    assert not allows_texts(maria)
    post_signed(INBOUND_URL, text("UNSTOP", OptOutType="START"))
    assert not SmsOptOut.objects.exists() and allows_texts(maria)


def test_twilio_refusing_a_text_to_an_opted_out_number_opts_it_out(routed: Clinic) -> None:
    maria = consenting(routed)
    sent_sms(routed)
    params = {"MessageSid": "SM" + "d4" * 16, "MessageStatus": "undelivered", "ErrorCode": "21610"}
    post_signed(status_url(routed), params, host=host_of(routed.practice))
    assert SmsOptOut.objects.get(phone=PATIENT_PHONE).keyword == consent.CARRIER
    assert not allows_texts(maria)
    assert changes_by("webhook", "notifications.smsoptout")


def test_consent_cannot_be_given_to_a_number_that_replied_stop(routed: Clinic) -> None:
    maria = consenting(routed)
    consent.opt_out(PATIENT_PHONE, keyword="STOP")
    with pytest.raises(InvalidPatient) as refused:
        consent.set_sms_consent(maria, True)
    assert (refused.value.code, refused.value.field) == ("number_opted_out", "sms_consent")
    assert not allows_texts(maria)
    consent.set_sms_consent(maria, False)  # stopping is always allowed
    without_phone = PatientFactory.create()
    with pytest.raises(InvalidPatient, match="Give a mobile number"):
        consent.set_sms_consent(without_phone, True)


def test_the_portal_profile_goes_through_the_service(routed: Clinic) -> None:
    account = make_account("maria@example.org", phone=PATIENT_PHONE)
    PatientProfile.objects.create(patient=account.patient, sms_consent=False)
    consent.opt_out(PATIENT_PHONE, keyword="STOP")
    client = portal_client(account, routed.practice)
    profile = {
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": "1985-04-02",
        "sex": "F",
        "preferred_language": "en",
        "phone": PATIENT_PHONE,
        "sms_consent": "on",
    }
    refused = keeping_schema(lambda: client.post("/portal/profile/", profile))
    assert refused.status_code == 400 and OPTED_OUT in refused.content.decode()
    assert not allows_texts(account.patient)
    consent.opt_in(PATIENT_PHONE)  # the number texted START: consent is back
    assert allows_texts(account.patient)
    profile.pop("sms_consent")  # and the patient turns texts off in the portal
    saved = keeping_schema(lambda: client.post("/portal/profile/", profile))
    assert saved.status_code == 302 and not allows_texts(account.patient)
    [change] = changes_by("patient", "patients.patientprofile")
    assert "sms_consent" in change.changed_fields


def test_the_back_office_profile_goes_through_the_service(routed: Clinic) -> None:
    maria = routed.patient
    consent.opt_out(PATIENT_PHONE, keyword="STOP")
    client = signed_in_client(staff(routed.practice, Role.FRONT_DESK), routed.practice)
    profile = {
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": "1985-04-02",
        "sex": "F",
        "preferred_language": "en",
        "phone": PATIENT_PHONE,
        "sms_consent": "on",
    }
    refused = keeping_schema(lambda: client.post(f"/patients/{maria.pk}/profile/", profile))
    assert refused.status_code == 400 and OPTED_OUT in refused.content.decode()
    assert not PatientProfile.objects.filter(patient=maria, sms_consent=True).exists()


def test_the_api_sets_consent_through_the_service(routed: Clinic) -> None:
    maria = routed.patient
    client = signed_in_client(staff(routed.practice, Role.FRONT_DESK), routed.practice)
    url = f"/api/v1/patients/{maria.pk}/sms-consent/"

    def post(body: dict[str, Any]) -> Any:
        return keeping_schema(lambda: client.post(url, body, content_type="application/json"))

    allowed = post({"allowed": True})
    assert allowed.status_code == 200 and allowed.json() == {"allowed": True}
    assert allows_texts(maria)
    assert changes_by("staff", "patients.patientprofile")
    post({"allowed": False})
    consent.opt_out(PATIENT_PHONE, keyword="STOP")
    refused = post({"allowed": True})
    assert refused.status_code == 400
    assert refused.json()["code"] == "number_opted_out" and OPTED_OUT in refused.json()["message"]
    assert not allows_texts(maria)
    assert post({}).status_code == 400


def test_nothing_else_writes_opt_outs_or_consent() -> None:
    """The service is the only writer: no other product module touches SmsOptOut's rows or sets
    sms_consent by hand (update_patient, which the service calls, applies the patient rules)."""
    writes = {"create", "get_or_create", "update_or_create", "update", "delete", "bulk_create"}
    offenders = []
    for folder in ("platform", "portal", "notifications", "api", "tenants"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts or path.name == "consent.py":
                continue
            source = path.read_text()
            for node in ast.walk(ast.parse(source)):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                if node.func.attr not in writes:
                    continue
                written = "SmsOptOut" in (ast.get_source_segment(source, node.func) or "")
                if written or any(keyword.arg == "sms_consent" for keyword in node.keywords):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_the_migration_withdraws_the_consent_of_numbers_that_replied_stop_before(alpha: Clinic) -> None:
    maria = consenting(alpha)
    other = PatientFactory.create(phone="+15552010002")
    PatientProfile.objects.create(patient=other, sms_consent=True)
    SmsOptOut.objects.create(phone=PATIENT_PHONE, keyword="STOP")  # as the webhook used to
    sync_migration.withdraw_consent_of_opted_out_numbers(apps, None)
    assert (allows_texts(maria), allows_texts(other)) == (False, True)
