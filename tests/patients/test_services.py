"""Creating and changing a patient goes through practica.patients.services whatever the door: the
back office's forms, the portal (registration, profile, language) and the API. One rule, the same
words: a form error in the pages, a 400 `{code, message, field}` from the API."""

import datetime
from collections.abc import Iterator
from unittest import mock

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from practica.patients import services
from practica.patients.errors import InvalidPatient
from practica.patients.models import Patient, PatientProfile
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.portal.conftest import PATIENT_PASSWORD, make_account, portal_client

pytestmark = pytest.mark.django_db

NOT_A_NUMBER = "This is not a valid phone number; check the digits and the country code."
NEEDS_MOBILE = "Give a mobile number to receive text messages."
FUTURE_BIRTH = "Date of birth cannot be in the future."
NEW = {"first_name": " Rosa ", "last_name": "Vega", "date_of_birth": datetime.date(1984, 2, 3)}


@pytest.fixture
def spied() -> Iterator[dict[str, mock.MagicMock]]:
    """The service's entry points, still doing their work, counting who calls them."""
    with (
        mock.patch.object(services, "create_patient", wraps=services.create_patient) as create,
        mock.patch.object(services, "update_patient", wraps=services.update_patient) as update,
    ):
        yield {"create": create, "update": update}


# --- the service -------------------------------------------------------------------------------


def test_create_patient_cleans_the_details_and_writes_a_profile_only_when_given_one(
    practice_a: Practice,
) -> None:
    with tenant_context(practice_a):
        rosa = services.create_patient({**NEW, "phone": "(512) 555-0147"})
        assert (rosa.first_name, rosa.phone) == ("Rosa", "+15125550147")
        assert not PatientProfile.objects.filter(patient=rosa).exists()
        luis = services.create_patient({**NEW, "first_name": "Luis", "preferred_language": "es"})
        assert PatientProfile.objects.get(patient=luis).preferred_language == "es"


def test_create_patient_refuses_every_broken_rule_at_once_and_writes_nothing(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        before = Patient.objects.count()
        with pytest.raises(InvalidPatient) as refused:
            services.create_patient(
                {
                    "first_name": " ",
                    "last_name": "Vega",
                    "date_of_birth": datetime.date(2999, 1, 1),
                    "phone": "555-01",
                    "emergency_name": "Luis",
                }
            )
        assert refused.value.errors == {
            "first_name": ("required", "This field is required."),
            "date_of_birth": ("invalid_date_of_birth", FUTURE_BIRTH),
            "phone": ("invalid_phone", NOT_A_NUMBER),
            "emergency_phone": ("phone_needed", "Give a phone number for your emergency contact."),
        }
        assert (refused.value.code, refused.value.field) == ("required", "first_name")
        with pytest.raises(InvalidPatient, match=NEEDS_MOBILE):
            services.create_patient({**NEW, "sms_consent": True})
        assert Patient.objects.count() == before


def test_update_patient_checks_the_change_against_what_is_stored(practice_a: Practice) -> None:
    with tenant_context(practice_a):
        patient = services.create_patient({**NEW, "phone": "(512) 555-0147", "sms_consent": True})
        with pytest.raises(InvalidPatient, match=NEEDS_MOBILE):
            services.update_patient(patient, {"phone": ""})  # SMS is still allowed
        assert Patient.objects.get(pk=patient.pk).phone == "+15125550147"
        assert patient.phone == "+15125550147"
        services.update_patient(patient, {"phone": "", "sms_consent": False})
        assert Patient.objects.get(pk=patient.pk).phone == ""
        # A number kept as typed by the E.164 migration does not block other changes.
        Patient.objects.filter(pk=patient.pk).update(phone="555-01")
        patient.refresh_from_db()
        assert services.set_preferred_language(patient, "es").preferred_language == "es"
        services.update_patient(patient, {"phone": "555-01", "last_name": "Vega-Ortiz"})  # posted back as is
        with pytest.raises(InvalidPatient, match=NOT_A_NUMBER):
            services.update_patient(patient, {"phone": "555-02"})


# --- the doors ---------------------------------------------------------------------------------


def test_the_back_office_forms_create_and_change_through_the_service(
    practice_a: Practice, spied: dict[str, mock.MagicMock]
) -> None:
    client = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    form = {"first_name": "Rosa", "last_name": "Vega", "date_of_birth": "1984-02-03", "sex": "F"}
    refused = client.post("/patients/new/", {**form, "phone": "555-01"})
    assert refused.status_code == 200 and NOT_A_NUMBER in refused.content.decode()
    assert spied["create"].call_count == 1
    created = client.post("/patients/new/", {**form, "phone": "(512) 555-0147"})
    assert created.status_code == 302 and spied["create"].call_count == 2
    with tenant_context(practice_a):
        rosa = Patient.objects.get(last_name="Vega")
    assert rosa.phone == "+15125550147"

    edited = client.post(f"/patients/{rosa.pk}/edit/", {**form, "phone": "+44 20 7946 0958"})
    assert edited.status_code == 302 and spied["update"].call_count == 1
    profile = {**form, "preferred_language": "en", "sms_consent": "on", "phone": ""}
    refused = client.post(f"/patients/{rosa.pk}/profile/", profile)
    assert refused.status_code == 400 and NEEDS_MOBILE in refused.content.decode()
    assert spied["update"].call_count == 2
    with tenant_context(practice_a):
        assert Patient.objects.get(pk=rosa.pk).phone == "+442079460958"


def test_the_api_creates_and_changes_through_the_service_with_code_and_message(
    practice_a: Practice, spied: dict[str, mock.MagicMock]
) -> None:
    client = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    body = {"first_name": "Rosa", "last_name": "Vega", "date_of_birth": "1984-02-03"}
    refused = client.post("/api/v1/patients/", {**body, "phone": "555-01"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json() == {
        "code": "invalid_phone",
        "message": NOT_A_NUMBER,
        "field": "phone",
        "errors": {"phone": [NOT_A_NUMBER]},
    }
    created = client.post(
        "/api/v1/patients/", {**body, "phone": "(512) 555-0100"}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["phone"] == "+15125550100"
    assert spied["create"].call_count == 2
    url = f"/api/v1/patients/{created.json()['id']}/"
    future = client.patch(url, {"date_of_birth": "2999-01-01"}, content_type="application/json")
    assert future.status_code == 400
    assert future.json() == {
        "code": "invalid_date_of_birth",
        "message": FUTURE_BIRTH,
        "field": "date_of_birth",
        "errors": {"date_of_birth": [FUTURE_BIRTH]},
    }
    moved = client.patch(url, {"phone": "512.555.0101"}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["phone"] == "+15125550101"
    assert spied["update"].call_count == 2
    with tenant_context(practice_a):
        stored = Patient.objects.get(pk=created.json()["id"])
    assert (stored.phone, stored.date_of_birth) == ("+15125550101", datetime.date(1984, 2, 3))


def test_the_portal_registers_and_edits_the_profile_through_the_service(
    practice_a: Practice, spied: dict[str, mock.MagicMock]
) -> None:
    visitor = Client(HTTP_HOST=host_of(practice_a))
    signup = {
        "first_name": "Maria",
        "last_name": "Lopez",
        "email": "maria@example.org",
        "password": PATIENT_PASSWORD,
        "password_again": PATIENT_PASSWORD,
    }
    refused = visitor.post("/portal/register/", {**signup, "date_of_birth": "2999-01-01"})
    assert refused.status_code == 200 and FUTURE_BIRTH in refused.content.decode()
    registered = visitor.post("/portal/register/", {**signup, "date_of_birth": "1985-04-02"})
    assert registered.status_code == 200 and "Check your email" in registered.content.decode()
    assert spied["create"].call_count == 1
    with tenant_context(practice_a):
        maria = Patient.objects.get(email="maria@example.org")
        assert maria.profile.preferred_language == "en"  # the page's language, on her profile

    with tenant_context(practice_a):
        account = make_account("rosa@example.org")
    client = portal_client(account, practice_a)
    profile = {
        "first_name": "Rosa",
        "last_name": "Vega",
        "date_of_birth": "1984-02-03",
        "sex": "F",
        "preferred_language": "en",
        "sms_consent": "on",
        "phone": "",
    }
    refused = client.post("/portal/profile/", profile)
    assert refused.status_code == 400 and NEEDS_MOBILE in refused.content.decode()
    saved = client.post("/portal/profile/", {**profile, "phone": "512 555 0147"})
    assert saved.status_code == 302 and spied["update"].call_count == 2
    with tenant_context(practice_a):
        assert Patient.objects.get(pk=account.patient.pk).phone == "+15125550147"
