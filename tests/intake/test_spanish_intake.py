"""A Spanish-speaking patient's intake: the form page, its errors and the practice's request to
complete it again are in Spanish; the practice's own questions stay as the practice wrote them."""

from typing import Any

from django.core import mail
from django_tenants.utils import tenant_context

from notifications.delivery import send_due
from practica.accounts.roles import Role
from practica.intake.models import IntakeSubmission
from practica.patients.models import PatientProfile
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.intake.conftest import Booked, Packet, field, valid_post
from tests.portal.conftest import portal_client


def speaks_spanish(booked: Booked, practice: Practice) -> None:
    with tenant_context(practice):
        PatientProfile.objects.create(patient=booked.account.patient, preferred_language="es")


def test_the_forms_page_and_its_errors_are_in_spanish(
    booked: Booked, packet: Packet, practice_a: Practice
) -> None:
    speaks_spanish(booked, practice_a)
    client = portal_client(booked.account, practice_a)
    path = f"/portal/forms/{booked.appointment.pk}/"
    page = client.get(path).content.decode()
    assert "Formularios para su consulta del" in page and "Estado: <strong>Por completar</strong>" in page
    assert "Allergies" in page  # the practice's own wording
    assert "(obligatorio)" in page and "Escriba su nombre completo para firmar" in page
    response = client.post(path, valid_post(packet, name="Someone Else") | {field(packet.weight): ""})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Corrija los campos señalados abajo." in page
    assert "Escriba su nombre y apellido tal como los tiene registrados el consultorio." in page
    assert "Este campo es requerido." in page


def test_the_request_to_complete_the_forms_again_is_in_spanish(
    booked: Booked, packet: Packet, practice_a: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    speaks_spanish(booked, practice_a)
    path = f"/portal/forms/{booked.appointment.pk}/"
    assert portal_client(booked.account, practice_a).post(path, valid_post(packet)).status_code == 302
    with tenant_context(practice_a):
        submission = IntakeSubmission.objects.get(appointment=booked.appointment)
        card = submission.responses.get(item=packet.card_front)
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    review = f"/intake/review/{submission.pk}/"
    desk.post(review, {"response": card.pk, "decision": "reject", "reason": "Blurred"})
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(review, {"action": "finish"})
    with tenant_context(practice_a):
        send_due()
    (sent,) = [m for m in mail.outbox if "formularios" in str(m.subject)]
    assert sent.subject == "Complete sus formularios"
    assert "complete sus formularios antes de su consulta." in sent.body
    assert "Blurred" not in sent.body
