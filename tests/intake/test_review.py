"""Staff review submitted packets: accept or reject items, the patient is asked back without any
clinical detail, and a complete packet shows as complete on the appointment."""

import datetime
from pathlib import Path
from typing import Any

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from notifications.delivery import send_due
from practica.accounts.roles import Role
from practica.intake import selectors, services
from practica.intake.models import IntakeResponse, IntakeSubmission
from practica.scheduling.booking import book_appointment
from practica.scheduling.models import Appointment, AppointmentType
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.intake.conftest import PDF_BYTES, Booked, Packet, field, valid_post
from tests.portal.conftest import portal_client


def _submitted(booked: Booked, packet: Packet, practice: Practice) -> IntakeSubmission:
    response = portal_client(booked.account, practice).post(
        f"/portal/forms/{booked.appointment.pk}/", valid_post(packet)
    )
    assert response.status_code == 302
    with tenant_context(practice):
        return IntakeSubmission.objects.get(appointment=booked.appointment)


def _responses(submission: IntakeSubmission, practice: Practice) -> list[IntakeResponse]:
    with tenant_context(practice):
        return list(submission.responses.select_related("item"))


def test_accepting_every_item_completes_the_packet(
    booked: Booked, packet: Packet, practice_a: Practice
) -> None:
    submission = _submitted(booked, packet, practice_a)
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    queue = desk.get("/intake/review/")
    assert queue.status_code == 200
    assert f"/intake/review/{submission.pk}/" in queue.content.decode()
    page = desk.get(f"/intake/review/{submission.pk}/")
    assert page.status_code == 200
    assert "Waiting for review" in page.content.decode()
    for response in _responses(submission, practice_a):
        posted = desk.post(
            f"/intake/review/{submission.pk}/", {"response": response.pk, "decision": "accept"}
        )
        assert posted.status_code == 302
    assert desk.post(f"/intake/review/{submission.pk}/", {"action": "finish"}).status_code == 302
    with tenant_context(practice_a):
        submission.refresh_from_db()
        assert submission.status == IntakeSubmission.Status.COMPLETE
        assert selectors.intake_status_for([booked.appointment]) == {booked.appointment.pk: "complete"}
    assert "Complete" in desk.get(f"/intake/review/{submission.pk}/").content.decode()
    assert mail.outbox == []
    # The patient sees it is done and can no longer change it.
    patient = portal_client(booked.account, practice_a)
    assert "accepted your forms" in patient.get(f"/portal/forms/{booked.appointment.pk}/").content.decode()


def test_a_rejected_item_sends_the_patient_back_with_an_email_free_of_clinical_detail(
    booked: Booked, packet: Packet, practice_a: Practice, django_capture_on_commit_callbacks: Any
) -> None:
    submission = _submitted(booked, packet, practice_a)
    desk = signed_in_client(staff(practice_a, Role.FRONT_DESK), practice_a)
    card = next(r for r in _responses(submission, practice_a) if r.item_id == packet.card_front.pk)
    # A rejection needs a reason.
    assert (
        desk.post(f"/intake/review/{submission.pk}/", {"response": card.pk, "decision": "reject"}).status_code
        == 400
    )
    desk.post(
        f"/intake/review/{submission.pk}/",
        {"response": card.pk, "decision": "reject", "reason": "The card photo is blurred"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(f"/intake/review/{submission.pk}/", {"action": "finish"})
    with tenant_context(practice_a):
        submission.refresh_from_db()
        assert submission.status == IntakeSubmission.Status.NEEDS_ATTENTION
        assert mail.outbox == []  # an outbox row, sent by the notification workers
        send_due()
    [message] = [m for m in mail.outbox if m.subject == "Please complete your forms"]
    assert message.to == ["ivy@example.org"]
    assert message.subject == "Please complete your forms"
    assert f"https://alpha.practica.test/portal/forms/{booked.appointment.pk}/" in message.body
    for clinical in ("Dermatology", "blurred", "Insurance", "Allergies", "Penicillin", "Consent"):
        assert clinical not in message.body and clinical not in message.subject
    # The patient sees why in the portal, and must upload again.
    patient = portal_client(booked.account, practice_a)
    page = patient.get(f"/portal/forms/{booked.appointment.pk}/").content.decode()
    assert "The card photo is blurred" in page
    assert "/portal/forms/" in patient.get("/portal/").content.decode()
    listing = patient.get("/portal/forms/").content.decode()
    assert f"/portal/forms/{booked.appointment.pk}/" in listing
    assert "Sent back to the patient" in listing


def test_intake_status_for_takes_two_queries_for_any_number_of_appointments(
    booked: Booked, packet: Packet, practice_a: Practice
) -> None:
    _submitted(booked, packet, practice_a)
    with tenant_context(practice_a):
        later = book_appointment(
            patient=booked.appointment.patient,
            appointment_type=booked.appointment.appointment_type,
            provider=booked.appointment.provider,
            location=booked.appointment.location,
            start=booked.appointment.start + datetime.timedelta(days=1),
            source=Appointment.Source.STAFF,
        ).appointment
        no_packet_type = AppointmentType.objects.create(name="Quick chat", duration_minutes=15)
        quick = book_appointment(
            patient=booked.appointment.patient,
            appointment_type=no_packet_type,
            provider=booked.appointment.provider,
            location=booked.appointment.location,
            start=booked.appointment.start + datetime.timedelta(days=2),
            source=Appointment.Source.STAFF,
        ).appointment
        with CaptureQueriesContext(connection) as queries:
            statuses = selectors.intake_status_for([booked.appointment, later, quick])
        # django-tenants sets the search path before queries: count the queries themselves.
        assert sum(1 for q in queries.captured_queries if not q["sql"].startswith("SET search_path")) == 2
        assert statuses == {
            booked.appointment.pk: IntakeSubmission.Status.SUBMITTED,
            later.pk: IntakeSubmission.Status.OPEN,
            quick.pk: selectors.NO_PACKET,
        }


def test_biller_may_look_but_not_decide(booked: Booked, packet: Packet, practice_a: Practice) -> None:
    submission = _submitted(booked, packet, practice_a)
    biller = signed_in_client(staff(practice_a, Role.BILLER), practice_a)
    assert biller.get(f"/intake/review/{submission.pk}/").status_code == 200
    response = _responses(submission, practice_a)[0]
    posted = biller.post(f"/intake/review/{submission.pk}/", {"response": response.pk, "decision": "accept"})
    assert posted.status_code == 403
    assert biller.post(f"/intake/review/{submission.pk}/", {"action": "finish"}).status_code == 403
    with tenant_context(practice_a):
        response.refresh_from_db()
        assert response.review == IntakeResponse.Review.PENDING


def test_staff_download_documents_of_their_own_practice_only(
    booked: Booked, packet: Packet, practice_a: Practice, practice_b: Practice
) -> None:
    submission = _submitted(booked, packet, practice_a)
    card = next(r for r in _responses(submission, practice_a) if r.item_id == packet.card_front.pk)
    clinician = signed_in_client(staff(practice_a, Role.CLINICIAN), practice_a)
    served = clinician.get(f"/intake/files/{card.pk}/")
    assert served.status_code == 200
    assert served.content.startswith(b"%PDF-")
    assert served["Content-Type"] == "application/pdf"

    other = signed_in_client(staff(practice_b, Role.OWNER), practice_b)
    assert other.get(f"/intake/files/{card.pk}/").status_code == 404
    assert other.get(f"/intake/review/{submission.pk}/").status_code == 404
    assert other.post(f"/intake/review/{submission.pk}/", {"action": "finish"}).status_code == 404
    assert str(submission.pk) not in other.get("/intake/review/").content.decode()


def test_an_optional_question_left_blank_does_not_block_completion(
    booked: Booked, packet: Packet, practice_a: Practice
) -> None:
    data = valid_post(packet)
    data[field(packet.last_visit)] = ""
    assert (
        portal_client(booked.account, practice_a)
        .post(f"/portal/forms/{booked.appointment.pk}/", data)
        .status_code
        == 302
    )
    with tenant_context(practice_a):
        submission = IntakeSubmission.objects.get(appointment=booked.appointment)
        assert not submission.responses.filter(item=packet.last_visit).exists()
        for response in submission.responses.all():
            services.review_response(response, accepted=True)
        assert services.finish_review(submission, reviewer_id=1).status == IntakeSubmission.Status.COMPLETE


def test_signed_out_staff_go_to_the_login(booked: Booked, packet: Packet, practice_a: Practice) -> None:
    submission = _submitted(booked, packet, practice_a)
    card = next(r for r in _responses(submission, practice_a) if r.item_id == packet.card_front.pk)
    anonymous = Client(HTTP_HOST=host_of(practice_a))
    for path in ("/intake/review/", f"/intake/review/{submission.pk}/", f"/intake/files/{card.pk}/"):
        response = anonymous.get(path)
        assert response.status_code == 302, path
        assert "/login/" in response["Location"]


def test_a_required_item_never_given_sends_the_patient_back(
    booked: Booked,
    packet: Packet,
    practice_a: Practice,
    django_capture_on_commit_callbacks: Any,
) -> None:
    submission = _submitted(booked, packet, practice_a)
    with tenant_context(practice_a):
        # The practice asks for one more document after the patient sent the packet.
        services.add_document_request(packet.packet, document_kind="referral")
        for response in submission.responses.all():
            services.review_response(response, accepted=True)
        with django_capture_on_commit_callbacks(execute=True):
            finished = services.finish_review(submission, reviewer_id=1)
        assert finished.status == IntakeSubmission.Status.NEEDS_ATTENTION
        send_due()
    assert [m.subject for m in mail.outbox if "forms" in str(m.subject)] == ["Please complete your forms"]


def test_a_new_upload_replaces_a_rejected_one(booked: Booked, packet: Packet, practice_a: Practice) -> None:
    submission = _submitted(booked, packet, practice_a)
    with tenant_context(practice_a):
        card = IntakeResponse.objects.get(submission=submission, item=packet.card_front)
        services.review_response(card, accepted=False, reason="Unreadable")
        weight = IntakeResponse.objects.get(submission=submission, item=packet.weight)
        services.review_response(weight, accepted=True)
        old_path = Path(card.document.path)
    patient = portal_client(booked.account, practice_a)
    page = patient.get(f"/portal/forms/{booked.appointment.pk}/")
    assert page.context["form"].fields[field(packet.card_front)].required
    # The browser sends the answers back as the page filled them in; the signature stands as given.
    data = valid_post(packet)
    data[field(packet.consent)] = ""
    data[field(packet.card_front)] = SimpleUploadedFile("card.jpg", PDF_BYTES, "image/jpeg")
    assert patient.post(f"/portal/forms/{booked.appointment.pk}/", data).status_code == 302
    with tenant_context(practice_a):
        card.refresh_from_db()
        assert card.review == IntakeResponse.Review.PENDING
        assert card.rejection_reason == ""
        assert card.document_content_type == "application/pdf"  # the same name and type as before
        assert Path(card.document.path).is_file()
        assert not old_path.exists()
        # Answers sent again unchanged keep their decision; the signature was kept.
        assert IntakeResponse.objects.get(submission=submission, item=packet.weight).review == "accepted"
        assert IntakeResponse.objects.get(submission=submission, item=packet.allergies).answer == "Penicillin"
        assert (
            IntakeResponse.objects.get(submission=submission, item=packet.consent).signed_name == "Ivy Stone"
        )
