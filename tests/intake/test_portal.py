"""The patient fills in their packet from the portal, downloads what they signed and their files;
no other patient and no other practice sees any of it."""

import io
import re
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from practica.intake.models import IntakeResponse, IntakeSubmission
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.conftest import host_of
from tests.intake.conftest import CONSENT_BODY, PDF_BYTES, Booked, Packet, field, valid_post
from tests.portal.conftest import make_account, portal_client


def _fill(booked: Booked, practice: Practice, data: dict[str, object]) -> object:
    client = portal_client(booked.account, practice)
    return client.post(f"/portal/forms/{booked.appointment.pk}/", data)


def test_patient_fills_in_the_packet_and_it_waits_for_review(
    booked: Booked, packet: Packet, practice_a: Practice, media_root: Path
) -> None:
    client = portal_client(booked.account, practice_a)
    page = client.get(f"/portal/forms/{booked.appointment.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert CONSENT_BODY in html
    assert f'<label for="id_{field(packet.allergies)}">Allergies' in html
    assert "<legend>Do you smoke?" in html
    assert "Forms to fill in" in client.get("/portal/forms/").content.decode()

    response = client.post(f"/portal/forms/{booked.appointment.pk}/", valid_post(packet))
    assert response.status_code == 302
    with tenant_context(practice_a):
        submission = IntakeSubmission.objects.get(appointment=booked.appointment)
        assert submission.status == IntakeSubmission.Status.SUBMITTED
        answers = {r.item_id: r for r in submission.responses.all()}
        assert answers[packet.weight.pk].answer == "72.5"
        assert answers[packet.last_visit.pk].answer == "2025-03-01"
        signature = answers[packet.consent.pk]
        assert signature.signed_name == "Ivy Stone"
        assert signature.signed_ip == "127.0.0.1"
        assert signature.consent_text is not None and signature.consent_text.body == CONSENT_BODY
        document = answers[packet.card_front.pk]
        # Sniffed as a PDF whatever the name said, stored under the practice's own folder.
        assert document.document_content_type == "application/pdf"
        stored = Path(document.document.path)
        assert stored.is_file()
        assert stored.is_relative_to(media_root / practice_a.schema_name)
        assert "card" not in stored.name


def test_each_field_type_is_validated_with_errors_tied_to_the_field(
    booked: Booked, packet: Packet, practice_a: Practice
) -> None:
    data = valid_post(packet, name="Somebody Else")
    data.update(
        {
            field(packet.weight): "heavy",
            field(packet.last_visit): "31/02/2024",
            field(packet.contact): "Carrier pigeon",
            field(packet.smoker): "",
            field(packet.allergies): "x" * 201,
            field(packet.card_front): SimpleUploadedFile(
                "scan.pdf", b"just text", content_type="application/pdf"
            ),
        }
    )
    response = _fill(booked, practice_a, data)
    assert response.status_code == 400  # type: ignore[attr-defined]
    form = response.context["form"]  # type: ignore[attr-defined]
    assert "Enter a number." in form.errors[field(packet.weight)]
    assert "Enter a valid date." in form.errors[field(packet.last_visit)]
    assert "Select a valid choice" in form.errors[field(packet.contact)][0]
    assert "This field is required." in form.errors[field(packet.smoker)]
    assert "at most 200 characters" in form.errors[field(packet.allergies)][0]
    assert "PDF, JPEG, PNG or HEIC" in form.errors[field(packet.card_front)][0]
    assert "first and last name" in form.errors[field(packet.consent)][0]
    html = response.content.decode()  # type: ignore[attr-defined]
    name = field(packet.weight)
    assert f'aria-describedby="id_{name}_error"' in html
    assert f'id="id_{name}_error"' in html
    assert 'aria-invalid="true"' in html
    with tenant_context(practice_a):
        assert not IntakeResponse.objects.exists()


def test_signed_consent_downloads_as_a_pdf_with_the_text_and_name(
    booked: Booked, packet: Packet, practice_a: Practice
) -> None:
    client = portal_client(booked.account, practice_a)
    client.post(f"/portal/forms/{booked.appointment.pk}/", valid_post(packet))
    response = client.get(f"/portal/forms/{booked.appointment.pk}/signed.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert CONSENT_BODY in text
    assert "Ivy Stone" in text
    assert "Consent text version 1" in text


def test_a_document_is_stored_and_downloaded_with_the_extension_of_its_content(
    booked: Booked, packet: Packet, practice_a: Practice, media_root: Path
) -> None:
    data = valid_post(packet)
    data[field(packet.card_front)] = SimpleUploadedFile("card.html", PDF_BYTES, content_type="text/html")
    _fill(booked, practice_a, data)
    with tenant_context(practice_a):
        document = IntakeResponse.objects.get(item=packet.card_front)
        assert document.document_name == "card.pdf"
        assert str(document.document.name).endswith(".pdf")
    served = portal_client(booked.account, practice_a).get(f"/portal/forms/files/{document.pk}/")
    assert served["Content-Disposition"] == 'attachment; filename="document.pdf"'
    assert served["Content-Type"] == "application/pdf"


def test_the_patient_downloads_their_own_document_but_nobody_else_can(
    booked: Booked, packet: Packet, practice_a: Practice, practice_b: Practice
) -> None:
    _fill(booked, practice_a, valid_post(packet))
    with tenant_context(practice_a):
        document = IntakeResponse.objects.get(item=packet.card_front)
        other = make_account("other@example.org")
    url = f"/portal/forms/files/{document.pk}/"
    own = portal_client(booked.account, practice_a).get(url)
    assert own.status_code == 200
    assert own.content.startswith(b"%PDF-")
    assert own["Content-Disposition"].startswith("attachment")
    assert own["X-Content-Type-Options"] == "nosniff"

    stranger = portal_client(other, practice_a)
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"/portal/forms/{booked.appointment.pk}/").status_code == 404
    assert stranger.get(f"/portal/forms/{booked.appointment.pk}/signed.pdf").status_code == 404
    assert stranger.post(f"/portal/forms/{booked.appointment.pk}/", valid_post(packet)).status_code == 404

    # The same ids at practice B: a patient there finds nothing.
    with tenant_context(practice_b):
        b_patient = make_account("b@example.org")
    b_client = portal_client(b_patient, practice_b)
    assert b_client.get(url).status_code == 404
    assert b_client.get(f"/portal/forms/{booked.appointment.pk}/").status_code == 404
    # The file is not reachable under /media/ either.
    assert b_client.get(f"/media/{practice_a.schema_name}/{document.document.name}").status_code == 404
    assert (
        portal_client(booked.account, practice_a).get(f"/media/{document.document.name}").status_code == 404
    )
    assert host_of(practice_a) != host_of(practice_b)


def test_signed_out_visitors_go_to_the_login(booked: Booked, practice_a: Practice) -> None:
    from django.test import Client

    client = Client(HTTP_HOST=host_of(practice_a))
    response = client.get(f"/portal/forms/{booked.appointment.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/login/")


CONTROL = re.compile(r"<(input|select|textarea)\b([^>]*)>")


def check_page(html: str) -> None:
    """One h1, the portal's named navigation, nothing inline for the CSP to block, and a label for
    every control (matching `id=` itself, not the end of `aria-invalid=`)."""
    assert len(re.findall(r"<h1\b", html)) == 1
    assert 'aria-label="Patient portal"' in html
    assert "style=" not in html and "<style" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    for _tag, attrs in CONTROL.findall(html):
        if 'type="hidden"' in attrs:
            continue
        control_id = re.search(r'(?<![-\w])id="([^"]+)"', attrs)
        assert control_id, attrs
        assert f'for="{control_id.group(1)}"' in html, control_id.group(1)


def test_intake_pages_pass_the_portal_markup_checks(
    booked: Booked, packet: Packet, practice_a: Practice
) -> None:
    client = portal_client(booked.account, practice_a)
    check_page(client.get("/portal/forms/").content.decode())
    check_page(client.get(f"/portal/forms/{booked.appointment.pk}/").content.decode())
    data = valid_post(packet)
    data[field(packet.weight)] = "heavy"
    check_page(client.post(f"/portal/forms/{booked.appointment.pk}/", data).content.decode())


def test_a_cancelled_visit_takes_no_more_forms(booked: Booked, packet: Packet, practice_a: Practice) -> None:
    with tenant_context(practice_a):
        Appointment.objects.filter(pk=booked.appointment.pk).update(
            status=Appointment.Status.CANCELLED_BY_PATIENT
        )
    client = portal_client(booked.account, practice_a)
    page = client.get(f"/portal/forms/{booked.appointment.pk}/").content.decode()
    assert "nothing more to fill in" in page
    client.post(f"/portal/forms/{booked.appointment.pk}/", valid_post(packet))
    with tenant_context(practice_a):
        assert not IntakeResponse.objects.exists()
