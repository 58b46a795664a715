"""The practice builds intake packets in the back office (MANAGE_SETUP only, own practice only)."""

import re

import pytest
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from practica.intake import services
from practica.intake.models import ConsentText, IntakeItem, IntakeResponse, IntakeSubmission
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic
from tests.intake.conftest import CONSENT_BODY, Booked, Packet, valid_post
from tests.portal.conftest import portal_client


def test_a_manager_adds_each_kind_of_item(clinic: Clinic, practice_a: Practice) -> None:
    manager = signed_in_client(staff(practice_a, Role.MANAGER), practice_a)
    assert "Dermatology follow-up" in manager.get("/intake/setup/").content.decode()
    url = f"/intake/setup/{clinic.visit.pk}/"
    assert manager.get(url).status_code == 200
    posts = [
        {"action": "question", "q-label": "Any allergies?", "q-field_type": "long_text", "q-required": "on"},
        {"action": "question", "q-label": "Pick one", "q-field_type": "single_choice", "q-choices": "A\nB"},
        {"action": "consent", "c-label": "Privacy notice", "c-body": "We keep your data safe."},
        {"action": "document", "d-document_kind": "photo_id", "d-required": "on"},
    ]
    for data in posts:
        assert manager.post(url, data).status_code == 302, data
    with tenant_context(practice_a):
        items = list(IntakeItem.objects.filter(packet__appointment_type=clinic.visit))
        assert [i.kind for i in items] == ["question", "question", "consent", "document"]
        assert items[1].choice_list == ["A", "B"]
        assert items[2].current_consent_text().body == "We keep your data safe."  # type: ignore[union-attr]
        assert items[3].label == "Photo ID"


def test_bad_setup_input_is_a_form_error(clinic: Clinic, practice_a: Practice) -> None:
    manager = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    url = f"/intake/setup/{clinic.visit.pk}/"
    one_option = {"action": "question", "q-label": "Pick", "q-field_type": "single_choice", "q-choices": "A"}
    response = manager.post(url, one_option)
    assert response.status_code == 400
    assert "at least two options" in response.content.decode()
    response = manager.post(url, {"action": "question", "q-label": "", "q-field_type": "colour"})
    assert response.status_code == 400
    with tenant_context(practice_a):
        assert not IntakeItem.objects.exists()


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN, Role.BILLER])
def test_roles_without_manage_setup_get_403(clinic: Clinic, practice_a: Practice, role: str) -> None:
    client = signed_in_client(staff(practice_a, role), practice_a)
    url = f"/intake/setup/{clinic.visit.pk}/"
    assert client.get("/intake/setup/").status_code == 403
    assert client.get(url).status_code == 403
    data = {"action": "consent", "c-label": "X", "c-body": "Y"}
    assert client.post(url, data).status_code == 403
    with tenant_context(practice_a):
        assert not IntakeItem.objects.exists()


def test_practice_b_cannot_reach_practice_a_packets(
    clinic: Clinic, packet: Packet, practice_a: Practice, practice_b: Practice
) -> None:
    owner_b = signed_in_client(staff(practice_b, Role.OWNER), practice_b)
    url = f"/intake/setup/{clinic.visit.pk}/"
    assert owner_b.get(url).status_code == 404
    assert owner_b.post(url, {"action": "remove", "item": packet.allergies.pk}).status_code == 404
    assert "Dermatology follow-up" not in owner_b.get("/intake/setup/").content.decode()


def test_consent_wording_is_versioned_and_a_signature_keeps_what_was_read(
    booked: Booked, packet: Packet, practice_a: Practice
) -> None:
    portal_client(booked.account, practice_a).post(
        f"/portal/forms/{booked.appointment.pk}/", valid_post(packet)
    )
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    url = f"/intake/setup/{booked.appointment.appointment_type_id}/"
    revised = owner.post(url, {"action": "revise", "item": packet.consent.pk, "body": "New wording."})
    assert revised.status_code == 302
    with tenant_context(practice_a):
        signature = IntakeResponse.objects.get(item=packet.consent)
        assert signature.consent_text is not None
        assert signature.consent_text.version == 1
        assert signature.consent_text.body == CONSENT_BODY
        current = packet.consent.current_consent_text()
        assert current is not None and (current.version, current.body) == (2, "New wording.")
        # A written version is never edited.
        old = ConsentText.objects.get(item=packet.consent, version=1)
        old.body = "Rewritten"
        with pytest.raises(ValueError, match="never changed"):
            old.save()


def test_removed_item_is_no_longer_asked(booked: Booked, packet: Packet, practice_a: Practice) -> None:
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    url = f"/intake/setup/{booked.appointment.appointment_type_id}/"
    assert owner.post(url, {"action": "remove", "item": packet.weight.pk}).status_code == 302
    page = portal_client(booked.account, practice_a).get(f"/portal/forms/{booked.appointment.pk}/")
    assert "Weight in kg" not in page.content.decode()
    with tenant_context(practice_a):
        services.packet_for_type(booked.appointment.appointment_type)
        assert IntakeItem.objects.filter(pk=packet.weight.pk, is_active=False).exists()


def _every_control_labelled(html: str) -> None:
    controls = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", html)
    assert controls
    for attrs in controls:
        if 'type="hidden"' in attrs:
            continue
        control_id = re.search(r'(?<![-\w])id="([^"]+)"', attrs)
        assert control_id, attrs
        assert f'for="{control_id.group(1)}"' in html, control_id.group(1)


def test_back_office_intake_pages_label_every_control(
    booked: Booked, packet: Packet, practice_a: Practice
) -> None:
    patient = portal_client(booked.account, practice_a)
    patient.post(f"/portal/forms/{booked.appointment.pk}/", valid_post(packet))
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    _every_control_labelled(
        owner.get(f"/intake/setup/{booked.appointment.appointment_type_id}/").content.decode()
    )
    with tenant_context(practice_a):
        submission = IntakeSubmission.objects.get(appointment=booked.appointment)
    _every_control_labelled(owner.get(f"/intake/review/{submission.pk}/").content.decode())
