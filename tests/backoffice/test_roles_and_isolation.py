"""Who may do what on each scheduling page, and practice B's ids are 404 for practice A's staff."""

import datetime
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from practica.accounts.roles import Role
from practica.scheduling.models import Appointment, ExtraHours, Holiday, TimeOff, WeeklyHours
from tenants.models import Practice
from tests.backoffice.conftest import backoffice_clinic
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic

ALL_ROLES = [Role.OWNER, Role.MANAGER, Role.FRONT_DESK, Role.CLINICIAN, Role.BILLER]
CAN_BOOK = {Role.OWNER, Role.MANAGER, Role.FRONT_DESK, Role.CLINICIAN}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_staff_role_sees_the_schedule_pages(
    as_role: Any, clinic: Clinic, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    appointment = clinic.book(clinic.next_weekday_at(10))
    # "Today" is the appointment's day, early morning, so it is on the front-desk list.
    morning = clinic.next_weekday_at(7).astimezone(datetime.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: morning)
    client = as_role(role)
    can_book = role in CAN_BOOK
    # Booking controls are shown exactly to the roles the server lets book.
    marks = {
        f"/schedule/?date={appointment.start.date()}": "/schedule/book/?",
        f"/schedule/?scope=provider&id={clinic.provider.pk}": "/schedule/book/?",
        "/schedule/today/": 'name="status"',
        "/schedule/waitlist/": "Add to waitlist",
        f"/schedule/appointments/{appointment.pk}/": 'id="move-h"',
    }
    for url, mark in marks.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert (mark in response.content.decode()) == can_book, url
    detail = client.get(f"/schedule/appointments/{appointment.pk}/").content.decode()
    assert ("Check in" in detail) == can_book
    assert ("Cancel appointment" in detail) == can_book
    assert (client.get("/schedule/book/").status_code == 200) == can_book


def test_biller_sees_but_cannot_change_anything(as_role: Any, clinic: Clinic) -> None:
    appointment = clinic.book(clinic.next_weekday_at(10))
    biller = as_role(Role.BILLER)
    start = clinic.next_weekday_at(11)
    booking = {
        "patient": clinic.patient.pk,
        "appointment_type": clinic.visit.pk,
        "provider": clinic.provider.pk,
        "location": clinic.location.pk,
        "date": start.date(),
        "time": "11:00",
    }
    url = f"/schedule/appointments/{appointment.pk}"
    assert biller.get("/schedule/book/").status_code == 403
    assert biller.post("/schedule/book/", booking).status_code == 403
    assert biller.post(f"{url}/status/", {"status": "checked_in"}).status_code == 403
    assert biller.post(f"{url}/cancel/", {"reason": "x"}).status_code == 403
    move = {
        "provider": clinic.provider.pk,
        "location": clinic.location.pk,
        "date": start.date(),
        "time": "11:00",
    }
    assert biller.post(f"{url}/reschedule/", move).status_code == 403
    waitlist = {
        "patient": clinic.patient.pk,
        "appointment_type": clinic.visit.pk,
        "earliest": start.date(),
        "latest": start.date(),
    }
    assert biller.post("/schedule/waitlist/", waitlist).status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert Appointment.objects.count() == 1
    today = biller.get("/schedule/today/").content.decode()
    assert 'name="status"' not in today


@pytest.mark.parametrize("role", sorted(CAN_BOOK))
def test_booking_roles_can_post(as_role: Any, clinic: Clinic, role: str) -> None:
    appointment = clinic.book(clinic.next_weekday_at(10))
    response = as_role(role).post(
        f"/schedule/appointments/{appointment.pk}/status/", {"status": "checked_in"}
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"


def test_signed_out_visitors_are_sent_to_sign_in(clinic: Clinic) -> None:
    client = Client(HTTP_HOST=f"{clinic.practice.slug}.practica.test")
    for url in ("/schedule/", "/schedule/today/", "/schedule/waitlist/", "/setup/rooms/", "/schedule/book/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


@pytest.fixture
def other_practice_ids(practice_b: Practice) -> dict[str, Any]:
    """Records of practice B, created in B's schema, ids kept for A's staff to try."""
    with tenant_context(practice_b):
        other = backoffice_clinic(practice_b)
        start = other.next_weekday_at(10)
        appointment = other.book(start)
        hours = WeeklyHours.objects.filter(provider=other.provider).first()
        assert hours is not None
        extra = ExtraHours.objects.create(
            provider=other.provider,
            location=other.location,
            start=start,
            end=start + datetime.timedelta(hours=1),
        )
        off = TimeOff.objects.create(
            provider=other.provider, start=start, end=start + datetime.timedelta(hours=1)
        )
        holiday = Holiday.objects.create(date=datetime.date(2031, 1, 1), name="B's day")
        return {
            "appointment": appointment.pk,
            "locations": other.location.pk,
            "providers": other.provider.pk,
            "rooms": other.room.pk,
            "types": other.visit.pk,
            "hours": hours.pk,
            "extra-hours": extra.pk,
            "time-off": off.pk,
            "holidays": holiday.pk,
            "patient": other.patient.pk,
        }


def test_practice_a_staff_get_404_for_practice_b_ids(
    practice_a: Practice, practice_b: Practice, other_practice_ids: dict[str, Any], clinic: Clinic
) -> None:
    owner = signed_in_client(staff(practice_a, Role.OWNER), practice_a)
    appointment = other_practice_ids["appointment"]
    assert owner.get(f"/schedule/appointments/{appointment}/").status_code == 404
    for action, data in (
        ("status", {"status": "checked_in"}),
        ("cancel", {"reason": "x"}),
        (
            "reschedule",
            {
                "provider": clinic.provider.pk,
                "location": clinic.location.pk,
                "date": "2031-01-02",
                "time": "10:00",
            },
        ),
    ):
        assert owner.post(f"/schedule/appointments/{appointment}/{action}/", data).status_code == 404, action
    for kind in ("locations", "providers", "rooms", "types", "hours", "extra-hours", "time-off", "holidays"):
        object_id = other_practice_ids[kind]
        assert owner.get(f"/setup/{kind}/{object_id}/").status_code == 404, kind
        assert owner.post(f"/setup/{kind}/{object_id}/", {"name": "Taken over"}).status_code == 404, kind
    for kind in ("hours", "extra-hours", "time-off", "holidays"):
        assert owner.post(f"/setup/{kind}/{other_practice_ids[kind]}/delete/").status_code == 404, kind
    assert owner.get(f"/schedule/?scope=provider&id={other_practice_ids['providers']}").status_code == 404
    assert owner.get(f"/schedule/?scope=room&id={other_practice_ids['rooms']}").status_code == 404
    # Practice B's ids are not valid choices in A's forms either.
    with tenant_context(practice_a):
        response = owner.post(
            "/schedule/book/",
            {
                "patient": other_practice_ids["patient"],
                "appointment_type": other_practice_ids["types"],
                "provider": other_practice_ids["providers"],
                "location": other_practice_ids["locations"],
                "date": "2031-01-02",
                "time": "10:00",
            },
        )
        assert response.status_code == 400
        assert {"patient", "appointment_type", "provider", "location"} <= set(response.context["form"].errors)
        assert not Appointment.objects.exists()
    with tenant_context(practice_b):
        assert Appointment.objects.get(pk=appointment).status == "booked"
