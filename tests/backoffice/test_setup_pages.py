import datetime
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from notifications.delivery import send_due
from notifications.models import Channel, Kind, Notification
from practica.accounts.roles import Role
from practica.scheduling.models import (
    AppointmentType,
    ExtraHours,
    Holiday,
    Room,
    SchedulingPolicy,
    TimeOff,
    WaitlistOffer,
    WeeklyHours,
)
from practica.scheduling.policies import current_policy
from practica.scheduling.waitlist import join_waitlist
from tests.backoffice.conftest import NY
from tests.factories import Clinic, PatientFactory

KINDS = ["locations", "providers", "rooms", "types", "hours", "time-off", "extra-hours", "holidays"]


@pytest.mark.parametrize("kind", KINDS)
def test_manager_sees_every_setup_list_and_empty_form(as_role: Any, kind: str) -> None:
    client = as_role(Role.MANAGER)
    assert client.get(f"/setup/{kind}/").status_code == 200
    assert client.get(f"/setup/{kind}/new/").status_code == 200


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN, Role.BILLER])
@pytest.mark.parametrize("kind", KINDS)
def test_roles_without_manage_setup_get_403_on_get_and_post(as_role: Any, role: str, kind: str) -> None:
    client = as_role(role)
    assert client.get(f"/setup/{kind}/").status_code == 403
    assert client.get(f"/setup/{kind}/new/").status_code == 403
    assert client.post(f"/setup/{kind}/new/", {"name": "Nope"}).status_code == 403
    assert client.post("/setup/policy/", {"cancel_cutoff_hours": 1}).status_code == 403


def test_setup_overview_is_read_only_for_front_desk(as_role: Any) -> None:
    response = as_role(Role.FRONT_DESK).get("/setup/")
    assert response.status_code == 200
    assert b"Add a location" not in response.content


def test_unknown_kind_and_malformed_ids_are_404(as_role: Any) -> None:
    client = as_role(Role.OWNER)
    assert client.get("/setup/spaceships/").status_code == 404
    assert client.get("/setup/rooms/not-a-uuid/").status_code == 404
    assert client.get("/setup/holidays/abc/").status_code == 404
    assert client.post("/setup/rooms/00000000-0000-0000-0000-000000000000/delete/").status_code == 404


def test_add_room_and_duplicate_name_is_a_field_error(as_role: Any, clinic: Clinic) -> None:
    client = as_role(Role.MANAGER)
    data = {"location": clinic.location.pk, "name": "Room 2", "is_active": "on"}
    assert client.post("/setup/rooms/new/", data).status_code == 302
    assert Room.objects.filter(name="Room 2", location=clinic.location).exists()
    response = client.post("/setup/rooms/new/", {**data, "name": "room 1"})
    assert response.status_code == 400
    assert "already has a room called" in response.context["form"].errors["name"][0]
    assert b'aria-describedby="id_name_error"' in response.content


TYPE_DATA = {
    "name": "New patient visit",
    "duration_minutes": 45,
    "buffer_before_minutes": 5,
    "buffer_after_minutes": 10,
    "min_notice_minutes": 240,
    "max_days_ahead": 60,
    "bookable_online": "on",
    "needs_room": "on",
    "price": "150.00",
    "deposit": "25.50",
    "colour": "#aa3300",
    "is_active": "on",
}


def test_appointment_type_with_every_field(as_role: Any, clinic: Clinic) -> None:
    client = as_role(Role.MANAGER)
    response = client.post("/setup/types/new/", {**TYPE_DATA, "providers": [clinic.provider.pk]})
    assert response.status_code == 302
    saved = AppointmentType.objects.get(name="New patient visit")
    assert (saved.duration_minutes, saved.buffer_before_minutes, saved.buffer_after_minutes) == (45, 5, 10)
    assert (saved.min_notice_minutes, saved.max_days_ahead) == (240, 60)
    assert saved.bookable_online and saved.needs_room and not saved.new_patients_allowed
    assert (saved.price_cents, saved.deposit_cents, saved.colour) == (15000, 2550, "#aa3300")
    assert list(saved.providers.all()) == [clinic.provider]
    edit = client.get(f"/setup/types/{saved.pk}/")
    assert b'value="150.00"' in edit.content or b'value="150.0"' in edit.content


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"colour": "red"}, "colour"),
        ({"deposit": "200"}, "deposit"),
        ({"price": "-1"}, "price"),
        ({"max_days_ahead": "lots"}, "max_days_ahead"),
        ({"providers": ["00000000-0000-0000-0000-000000000000"]}, "providers"),
    ],
)
def test_appointment_type_invalid_input_is_a_field_error(
    as_role: Any, change: dict[str, Any], field: str
) -> None:
    response = as_role(Role.MANAGER).post("/setup/types/new/", {**TYPE_DATA, **change})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not AppointmentType.objects.filter(name="New patient visit").exists()


def test_provider_npi_check_digit_is_validated(as_role: Any, clinic: Clinic) -> None:
    data = {
        "display_name": "Dr New",
        "npi": "1234567890",
        "locations": [clinic.location.pk],
        "is_active": "on",
    }
    response = as_role(Role.OWNER).post("/setup/providers/new/", data)
    assert response.status_code == 400
    assert "check digit" in response.context["form"].errors["npi"][0]
    response = as_role(Role.OWNER).post("/setup/providers/new/", {**data, "npi": "1234567893"})
    assert response.status_code == 302


def test_weekly_hours_and_breaks_with_date_ranges(as_role: Any, clinic: Clinic) -> None:
    client = as_role(Role.MANAGER)
    data = {
        "provider": clinic.provider.pk,
        "location": clinic.location.pk,
        "kind": "break",
        "weekday": 2,
        "start_time": "12:00",
        "end_time": "13:00",
        "effective_from": "2026-01-01",
        "effective_until": "2026-06-30",
    }
    assert client.post("/setup/hours/new/", data).status_code == 302
    rule = WeeklyHours.objects.get(kind="break")
    assert rule.effective_until == datetime.date(2026, 6, 30)
    bad = client.post("/setup/hours/new/", {**data, "end_time": "11:00", "effective_until": "2025-01-01"})
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"end_time", "effective_until"}
    assert client.post(f"/setup/hours/{rule.pk}/delete/").status_code == 302
    assert not WeeklyHours.objects.filter(pk=rule.pk).exists()


def test_time_off_and_extra_hours_are_entered_in_local_time(as_role: Any, clinic: Clinic) -> None:
    client = as_role(Role.MANAGER)
    period = {
        "start_date": "2026-07-01",
        "start_time": "09:00",
        "end_date": "2026-07-01",
        "end_time": "12:00",
    }
    response = client.post(
        "/setup/extra-hours/new/", {"provider": clinic.provider.pk, "location": clinic.location.pk, **period}
    )
    assert response.status_code == 302
    extra = ExtraHours.objects.get()
    assert extra.start == datetime.datetime(2026, 7, 1, 9, tzinfo=NY)
    clinic.practice.time_zone = "America/Chicago"
    clinic.practice.save()
    response = client.post(
        "/setup/time-off/new/", {"provider": clinic.provider.pk, "reason": "Conference", **period}
    )
    assert response.status_code == 302
    assert TimeOff.objects.get().start.astimezone(NY).hour == 10  # 09:00 Chicago
    backwards = client.post(
        "/setup/time-off/new/", {"provider": clinic.provider.pk, **period, "end_time": "08:00"}
    )
    assert backwards.status_code == 400
    assert "end_time" in backwards.context["form"].errors


def test_extra_hours_added_in_setup_are_offered_to_the_waitlist(
    as_role: Any, clinic: Clinic, django_capture_on_commit_callbacks: Any
) -> None:
    early = clinic.next_weekday_at(7)  # before the provider's weekly hours (09:00-17:00)
    patient = PatientFactory.create(email="early@example.com")
    entry = join_waitlist(
        patient=patient,
        appointment_type=clinic.visit,
        earliest=early,
        latest=early + datetime.timedelta(hours=1),
    )
    period = {
        "start_date": f"{early:%Y-%m-%d}",
        "start_time": "07:00",
        "end_date": f"{early:%Y-%m-%d}",
        "end_time": "08:00",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = as_role(Role.MANAGER).post(
            "/setup/extra-hours/new/",
            {"provider": clinic.provider.pk, "location": clinic.location.pk, **period},
        )
    assert response.status_code == 302
    offer = WaitlistOffer.objects.get()
    assert (offer.entry_id, offer.start, offer.status) == (entry.pk, early, WaitlistOffer.Status.OPEN)
    # The offer is an outbox row written with it, which the notification workers send.
    row = Notification.objects.get(waitlist_offer=offer)
    assert (row.kind, row.channel) == (Kind.WAITLIST_OFFER, Channel.EMAIL)
    assert mail.outbox == []
    send_due(now=timezone.now())
    assert [m.to for m in mail.outbox] == [["early@example.com"]]
    assert "/book/waitlist/" in mail.outbox[0].body


def test_extra_hours_moved_in_setup_are_offered_to_the_waitlist(
    as_role: Any, clinic: Clinic, django_capture_on_commit_callbacks: Any
) -> None:
    early = clinic.next_weekday_at(7)
    block = ExtraHours.objects.create(
        provider=clinic.provider,
        location=clinic.location,
        start=early - datetime.timedelta(days=1),
        end=early - datetime.timedelta(days=1, hours=-1),
    )
    join_waitlist(
        patient=PatientFactory.create(email="early@example.com"),
        appointment_type=clinic.visit,
        earliest=early,
        latest=early + datetime.timedelta(hours=1),
    )
    day = f"{early:%Y-%m-%d}"
    period = {"start_date": day, "start_time": "07:00", "end_date": day, "end_time": "08:00"}
    with django_capture_on_commit_callbacks(execute=True):
        response = as_role(Role.MANAGER).post(
            f"/setup/extra-hours/{block.pk}/",
            {"provider": clinic.provider.pk, "location": clinic.location.pk, **period},
        )
    assert response.status_code == 302
    block.refresh_from_db()
    assert (block.start, ExtraHours.objects.count()) == (early, 1)
    assert WaitlistOffer.objects.get().start == early


def test_holidays(as_role: Any) -> None:
    client = as_role(Role.OWNER)
    assert client.post("/setup/holidays/new/", {"date": "2026-12-25", "name": "Christmas"}).status_code == 302
    duplicate = client.post("/setup/holidays/new/", {"date": "2026-12-25", "name": "Again"})
    assert duplicate.status_code == 400
    assert "date" in duplicate.context["form"].errors
    assert client.post("/setup/holidays/new/", {"date": "soon", "name": "X"}).status_code == 400
    assert Holiday.objects.count() == 1


def test_scheduling_policy(as_role: Any) -> None:
    client = as_role(Role.MANAGER)
    assert client.get("/setup/policy/").status_code == 200
    data = {
        "cancel_cutoff_hours": 48,
        "late_cancel": "flag",
        "late_cancel_fee": "35.00",
        "slot_step_minutes": 10,
        "waitlist_offer_count": 2,
        "waitlist_offer_minutes": 30,
    }
    assert client.post("/setup/policy/", data).status_code == 302
    policy = current_policy()
    assert (policy.cancel_cutoff_hours, policy.late_cancel, policy.late_cancel_fee_cents) == (
        48,
        "flag",
        3500,
    )
    assert (policy.slot_step_minutes, policy.waitlist_offer_count, policy.waitlist_offer_minutes) == (
        10,
        2,
        30,
    )
    bad = client.post("/setup/policy/", {**data, "slot_step_minutes": 1, "late_cancel": "maybe"})
    assert bad.status_code == 400
    assert {"slot_step_minutes", "late_cancel"} <= set(bad.context["form"].errors)
    assert SchedulingPolicy.objects.count() == 1
