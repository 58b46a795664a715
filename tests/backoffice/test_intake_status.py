"""The intake forms status on the staff appointment page and on the front desk's today list."""

import datetime
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from practica.accounts.roles import Role
from practica.intake import services as intake
from practica.intake.models import IntakeItem, IntakeSubmission
from practica.scheduling import calendar
from practica.scheduling.models import Appointment, AppointmentType
from tests.factories import Clinic, PatientFactory


def with_packet(clinic: Clinic) -> None:
    packet = intake.packet_for_type(clinic.visit)
    intake.add_question(packet, label="Allergies", field_type=IntakeItem.FieldType.SHORT_TEXT)


def submission(appointment: Appointment, status: str) -> IntakeSubmission:
    return IntakeSubmission.objects.create(
        appointment=appointment, patient_id=appointment.patient_id, status=status
    )


def forms_line(html: str) -> str:
    start = html.index("<dt>Forms</dt><dd>") + len("<dt>Forms</dt><dd>")
    return html[start : html.index("</dd>", start)]


def test_appointment_page_shows_each_intake_status(as_role: Any, clinic: Clinic) -> None:
    with_packet(clinic)
    client = as_role(Role.FRONT_DESK)
    not_started = clinic.book(clinic.next_weekday_at(9))
    waiting = clinic.book(clinic.next_weekday_at(10), patient=PatientFactory.create())
    complete = clinic.book(clinic.next_weekday_at(11), patient=PatientFactory.create())
    sent_back = clinic.book(clinic.next_weekday_at(12), patient=PatientFactory.create())
    submission(waiting, IntakeSubmission.Status.SUBMITTED)
    submission(complete, IntakeSubmission.Status.COMPLETE)
    submission(sent_back, IntakeSubmission.Status.NEEDS_ATTENTION)

    expected = {
        not_started: "Not started",
        waiting: "Waiting for review",
        complete: "Complete",
        sent_back: "Sent back to the patient",
    }
    for appointment, label in expected.items():
        response = client.get(f"/schedule/appointments/{appointment.pk}/")
        assert response.status_code == 200
        assert forms_line(response.content.decode()) == label


def test_no_forms_line_when_the_type_has_no_packet(as_role: Any, clinic: Clinic) -> None:
    other = AppointmentType.objects.create(name="Quick chat", duration_minutes=15, min_notice_minutes=0)
    with_packet(clinic)  # a packet for another type changes nothing here
    appointment = clinic.book(clinic.next_weekday_at(9))
    Appointment.objects.filter(pk=appointment.pk).update(appointment_type=other)
    html = as_role(Role.BILLER).get(f"/schedule/appointments/{appointment.pk}/").content.decode()
    assert "<dt>Forms</dt>" not in html


def test_today_list_shows_intake_status_per_row(as_role: Any, clinic: Clinic, monkeypatch: Any) -> None:
    with_packet(clinic)
    first = clinic.next_weekday_at(9)
    not_started = clinic.book(first)
    waiting = clinic.book(first.replace(hour=10), patient=PatientFactory.create())
    submission(waiting, IntakeSubmission.Status.SUBMITTED)
    morning = first.replace(hour=7).astimezone(datetime.UTC)
    monkeypatch.setattr(calendar, "timezone", SimpleNamespace(now=lambda: morning))

    response = as_role(Role.FRONT_DESK).get(f"/schedule/today/?location={clinic.location.pk}")

    assert response.status_code == 200
    labels = {row[0].pk: row[3] for row in response.context["rows"]}
    assert labels == {not_started.pk: "not started", waiting.pk: "waiting for review"}
    html = response.content.decode()
    assert '<th scope="col">Forms</th>' in html
    assert "<td>not started</td>" in html and "<td>waiting for review</td>" in html


def test_the_intake_line_costs_two_queries_whatever_the_number_of_rows(
    as_role: Any, clinic: Clinic, monkeypatch: Any
) -> None:
    with_packet(clinic)
    client = as_role(Role.FRONT_DESK)
    first = clinic.next_weekday_at(9)
    clinic.book(first)
    morning = first.replace(hour=7).astimezone(datetime.UTC)
    monkeypatch.setattr(calendar, "timezone", SimpleNamespace(now=lambda: morning))
    url = f"/schedule/today/?location={clinic.location.pk}"
    client.get(url)
    for hour in range(10, 16):
        booked = clinic.book(first.replace(hour=hour), patient=PatientFactory.create())
        submission(booked, IntakeSubmission.Status.SUBMITTED)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 7
    intake_reads = [q["sql"] for q in many.captured_queries if '"intake_' in q["sql"]]
    assert len(intake_reads) == 2
