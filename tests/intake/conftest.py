"""An appointment of a portal patient in practice A whose type has an intake packet with one item
of each kind, and files kept in a per-test media folder."""

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from portal.models import PortalAccount
from practica.intake import services
from practica.intake.models import IntakeItem, IntakePacket
from practica.scheduling.booking import book_appointment
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.factories import Clinic
from tests.portal.conftest import _forget_login_failures, clinic, make_account  # noqa: F401

CONSENT_BODY = "I agree that the practice may treat me and share records with my insurer."
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Packet:
    packet: IntakePacket
    allergies: IntakeItem  # short text, required
    smoker: IntakeItem  # yes/no
    weight: IntakeItem  # number
    last_visit: IntakeItem  # date, optional
    contact: IntakeItem  # single choice
    consent: IntakeItem
    card_front: IntakeItem  # document


@dataclass
class Booked:
    account: PortalAccount
    appointment: Appointment


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"  # re-read by the tenant storage on change
    return tmp_path


@pytest.fixture
def packet(clinic: Clinic, practice_a: Practice) -> Packet:  # noqa: F811
    with tenant_context(practice_a):
        packet = services.packet_for_type(clinic.visit)
        kind = IntakeItem.FieldType
        return Packet(
            packet=packet,
            allergies=services.add_question(packet, label="Allergies", field_type=kind.SHORT_TEXT),
            smoker=services.add_question(packet, label="Do you smoke?", field_type=kind.YES_NO),
            weight=services.add_question(packet, label="Weight in kg", field_type=kind.NUMBER),
            last_visit=services.add_question(
                packet, label="Date of your last check-up", field_type=kind.DATE, required=False
            ),
            contact=services.add_question(
                packet, label="Best way to reach you", field_type=kind.SINGLE_CHOICE, choices="Phone\nEmail"
            ),
            consent=services.add_consent(packet, label="Consent to treatment", body=CONSENT_BODY),
            card_front=services.add_document_request(
                packet, document_kind=IntakeItem.DocumentKind.INSURANCE_FRONT
            ),
        )


@pytest.fixture
def booked(clinic: Clinic, packet: Packet, practice_a: Practice) -> Booked:  # noqa: F811
    with tenant_context(practice_a):
        account = make_account("ivy@example.org", first_name="Ivy", last_name="Stone")
        appointment = book_appointment(
            patient=account.patient,
            appointment_type=clinic.visit,
            provider=clinic.provider,
            location=clinic.location,
            start=clinic.local(3, 10),
            source=Appointment.Source.STAFF,
        ).appointment
        return Booked(account, appointment)


def field(item: IntakeItem) -> str:
    return f"item_{item.pk.hex}"


def valid_post(packet: Packet, name: str = "Ivy Stone") -> dict[str, object]:
    return {
        field(packet.allergies): "Penicillin",
        field(packet.smoker): "no",
        field(packet.weight): "72.5",
        field(packet.last_visit): datetime.date(2025, 3, 1).isoformat(),
        field(packet.contact): "Email",
        field(packet.consent): name,
        field(packet.card_front): SimpleUploadedFile("card.jpg", PDF_BYTES, content_type="image/jpeg"),
    }
