"""The scheduling API: same rules as the services, clear 4xx errors, roles and tenant isolation."""

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.scheduling.models import (
    Appointment,
    AppointmentType,
    Room,
    WaitlistEntry,
    WaitlistOffer,
)
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic, PatientFactory, ProviderFactory, make_clinic
from tests.scheduling.factories import AppointmentTypeFactory, RoomFactory

API = "/api/v1"
Status = Appointment.Status


DAYS_AHEAD = 10  # the API's test day: well ahead, with hours 09:00-17:00 local every day


@pytest.fixture
def setup(practice_a: Practice, in_practice: Any) -> Iterator[Clinic]:
    with in_practice(practice_a):
        yield make_clinic(practice_a, weekdays=range(7), patient={})


def at(clinic: Clinic, hour: int, minute: int = 0) -> datetime.datetime:
    return clinic.local(DAYS_AHEAD, hour, minute)


def day(clinic: Clinic) -> datetime.date:
    return at(clinic, 0).date()


def client(practice: Practice, role: str = Role.FRONT_DESK) -> Client:
    return signed_in_client(staff(practice, role), practice)


def book(api: Client, setup: Clinic, when: datetime.datetime, **extra: Any) -> Any:
    body = {
        "patient": str(setup.patient.pk),
        "appointment_type": str(setup.visit.pk),
        "provider": str(setup.provider.pk),
        "location": str(setup.location.pk),
        "start": when.isoformat(),
        **extra,
    }
    return api.post(f"{API}/appointments/", body, content_type="application/json")


def slots(api: Client, setup: Clinic, **params: str) -> Any:
    query = {
        "appointment_type": str(setup.visit.pk),
        "provider": "any",
        "start": at(setup, 0).isoformat(),
        "end": at(setup, 23).isoformat(),
        **params,
    }
    return api.get(f"{API}/slots/", query)


def test_slot_search_returns_local_and_utc_times(practice_a: Practice, setup: Clinic) -> None:
    response = slots(client(practice_a), setup)
    assert response.status_code == 200, response.content
    first = response.json()[0]
    assert datetime.datetime.fromisoformat(first["local_start"]) == at(setup, 9)
    assert first["local_start"].startswith(f"{day(setup).isoformat()}T09:00:00-0")  # the location's offset
    assert first["start"].endswith("Z") and first["time_zone"] == "America/New_York"
    assert first["provider"] == str(setup.provider.pk) and first["room"] is None
    one = slots(client(practice_a), setup, provider=str(setup.provider.pk), location=str(setup.location.pk))
    assert one.status_code == 200 and len(one.json()) == len(response.json())


@pytest.mark.parametrize(
    ("params", "field_or_code", "text"),
    [
        ({"start": "2026-12-01T09:00:00"}, "start", "UTC offset"),
        ({"start": "next tuesday"}, "start", "ISO 8601"),
        ({"provider": "somebody"}, "provider", '"any"'),
        ({"provider": "00000000-0000-0000-0000-000000000000"}, "provider", '"any"'),
        ({"appointment_type": "00000000-0000-0000-0000-000000000000"}, "appointment_type", "does not exist"),
        ({"end": "2030-01-01T00:00:00Z"}, "range_too_long", "at most 31 days"),
    ],
)
def test_bad_slot_searches_get_a_clear_400(
    practice_a: Practice, setup: Clinic, params: dict[str, str], field_or_code: str, text: str
) -> None:
    response = slots(client(practice_a), setup, **params)
    assert response.status_code == 400
    body = response.json()
    detail = body.get("errors", {}).get(field_or_code) or (
        body["message"] if body.get("code") == field_or_code else None
    )
    assert detail and text in str(detail), body


def test_booking_through_the_api_records_who_and_where_and_refuses_a_taken_time(
    practice_a: Practice, setup: Clinic, in_practice: Any
) -> None:
    user = staff(practice_a, Role.FRONT_DESK)
    api = signed_in_client(user, practice_a)
    response = book(api, setup, at(setup, 10))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["warnings"] == [] and body["appointment"]["source"] == "api"
    assert body["appointment"]["booked_by_id"] == user.pk
    assert datetime.datetime.fromisoformat(body["appointment"]["local_start"]) == at(setup, 10)

    taken = book(api, setup, at(setup, 10, 15))
    assert taken.status_code == 409
    assert taken.json()["code"] == "slot_unavailable" and "no longer available" in taken.json()["message"]
    with in_practice(practice_a):
        assert Appointment.objects.filter(provider=setup.provider).count() == 1


def test_staff_override_through_the_api_returns_warnings(practice_a: Practice, setup: Clinic) -> None:
    api = client(practice_a)
    refused = book(api, setup, at(setup, 20))
    assert refused.status_code == 400 and refused.json()["code"] == "outside_rules"
    assert "working hours" in refused.json()["message"]
    allowed = book(api, setup, at(setup, 20), override=True)
    assert allowed.status_code == 201
    assert any("working hours" in w for w in allowed.json()["warnings"])
    assert allowed.json()["appointment"]["outside_hours_override"] is True


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"start": "2026-12-01T09:00"}, "start"),
        ({"patient": "00000000-0000-0000-0000-000000000000"}, "patient"),
        ({"provider": "not-an-id"}, "provider"),
        ({"room": "00000000-0000-0000-0000-000000000000"}, "room"),
    ],
)
def test_bad_bookings_get_a_field_error(
    practice_a: Practice, setup: Clinic, extra: dict[str, str], field: str
) -> None:
    response = book(client(practice_a), setup, at(setup, 10), **extra)
    assert response.status_code == 400 and field in response.json()["errors"]


def test_past_times_are_refused(practice_a: Practice, setup: Clinic) -> None:
    response = book(client(practice_a), setup, timezone.now() - datetime.timedelta(hours=1))
    assert response.status_code == 400 and response.json()["code"] == "past"


def test_biller_reads_the_schedule_but_cannot_book(practice_a: Practice, setup: Clinic) -> None:
    biller = client(practice_a, Role.BILLER)
    assert biller.get(f"{API}/appointments/").status_code == 200
    assert slots(biller, setup).status_code == 200
    assert book(biller, setup, at(setup, 10)).status_code == 403
    clinician = client(practice_a, Role.CLINICIAN)
    assert book(clinician, setup, at(setup, 10)).status_code == 201


def test_list_filters_by_date_provider_and_location(
    practice_a: Practice, setup: Clinic, in_practice: Any
) -> None:
    api = client(practice_a)
    book(api, setup, at(setup, 9))
    book(api, setup, at(setup, 15))
    with in_practice(practice_a):
        other = ProviderFactory.create()
        other.locations.add(setup.location)
    book(api, setup, at(setup, 9), provider=str(other.pk), override=True)

    def count(**params: str) -> int:
        response = api.get(f"{API}/appointments/", params)
        assert response.status_code == 200
        return int(response.json()["count"])

    assert count(date=day(setup).isoformat()) == 3
    assert count(date=(day(setup) + datetime.timedelta(days=1)).isoformat()) == 0
    assert count(provider=str(setup.provider.pk)) == 2
    assert count(location=str(setup.location.pk), provider=str(other.pk)) == 1
    assert api.get(f"{API}/appointments/", {"date": "tomorrow"}).status_code == 400
    assert api.get(f"{API}/appointments/", {"provider": "x"}).status_code == 400


def test_reschedule_cancel_and_status_changes(practice_a: Practice, setup: Clinic) -> None:
    api = client(practice_a)
    appointment = book(api, setup, at(setup, 9)).json()["appointment"]
    url = f"{API}/appointments/{appointment['id']}"

    moved = api.post(
        f"{url}/reschedule/", {"start": at(setup, 11).isoformat()}, content_type="application/json"
    )
    assert moved.status_code == 201, moved.content
    new = moved.json()["appointment"]
    assert new["rescheduled_from"] == appointment["id"]
    assert api.get(f"{url}/").json()["status"] == "rescheduled"

    new_url = f"{API}/appointments/{new['id']}"
    confirmed = api.post(f"{new_url}/status/", {"status": "confirmed"}, content_type="application/json")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    wrong = api.post(f"{new_url}/status/", {"status": "completed"}, content_type="application/json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_status_change"
    unknown = api.post(f"{new_url}/status/", {"status": "teleported"}, content_type="application/json")
    assert unknown.status_code == 400 and "status" in unknown.json()["errors"]

    cancelled = api.post(
        f"{new_url}/cancel/", {"reason": "Phoned in", "patient_asked": True}, content_type="application/json"
    )
    assert cancelled.status_code == 200
    assert (
        cancelled.json()["status"] == "cancelled_patient"
        and cancelled.json()["cancellation_reason"] == "Phoned in"
    )
    again = api.post(f"{new_url}/cancel/", {}, content_type="application/json")
    assert again.status_code == 400 and "cannot become" in again.json()["message"]


def test_waitlist_entries(practice_a: Practice, setup: Clinic, in_practice: Any) -> None:
    api = client(practice_a)
    body = {
        "patient": str(setup.patient.pk),
        "appointment_type": str(setup.visit.pk),
        "provider": None,
        "earliest": at(setup, 8).isoformat(),
        "latest": at(setup, 18).isoformat(),
    }
    created = api.post(f"{API}/waitlist/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "waiting"
    assert api.get(f"{API}/waitlist/").json()["count"] == 1
    naive = api.post(
        f"{API}/waitlist/", {**body, "earliest": "2026-12-01T08:00"}, content_type="application/json"
    )
    assert naive.status_code == 400 and "earliest" in naive.json()["errors"]
    backwards = api.post(
        f"{API}/waitlist/", {**body, "latest": at(setup, 7).isoformat()}, content_type="application/json"
    )
    assert backwards.status_code == 400 and backwards.json()["code"] == "invalid_range"
    with in_practice(practice_a):  # a freed time was offered to the patient
        offer = WaitlistOffer.objects.create(
            entry_id=created.json()["id"],
            provider=setup.provider,
            location=setup.location,
            start=at(setup, 9),
            expires_at=at(setup, 8),
        )
    assert api.delete(f"{API}/waitlist/{created.json()['id']}/").status_code == 204
    with in_practice(practice_a):
        assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.CANCELLED
        assert WaitlistOffer.objects.get(pk=offer.pk).status == WaitlistOffer.Status.WITHDRAWN
    again = api.delete(f"{API}/waitlist/{created.json()['id']}/")
    assert again.status_code == 400 and again.json()["code"] == "not_waiting"
    assert (
        client(practice_a, Role.BILLER)
        .post(f"{API}/waitlist/", body, content_type="application/json")
        .status_code
        == 403
    )


def test_appointment_types_and_rooms(practice_a: Practice, setup: Clinic, in_practice: Any) -> None:
    manager = client(practice_a, Role.MANAGER)
    created = manager.post(
        f"{API}/appointment-types/",
        {"name": "Long visit", "duration_minutes": 60},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["needs_room"] is False
    bad = manager.post(
        f"{API}/appointment-types/", {"name": "X", "duration_minutes": 2}, content_type="application/json"
    )
    assert bad.status_code == 400 and "duration_minutes" in bad.json()["errors"]
    room = manager.post(
        f"{API}/rooms/",
        {"location": str(setup.location.pk), "name": "Exam 1"},
        content_type="application/json",
    )
    assert room.status_code == 201
    front_desk = client(practice_a)
    assert front_desk.get(f"{API}/rooms/").json()["count"] == 1
    assert (
        front_desk.post(f"{API}/rooms/", {"location": str(setup.location.pk), "name": "Exam 2"}).status_code
        == 403
    )
    with in_practice(practice_a):
        assert Room.objects.count() == 1 and AppointmentType.objects.filter(name="Long visit").exists()


def test_room_types_book_a_free_room(practice_a: Practice, setup: Clinic, in_practice: Any) -> None:
    with in_practice(practice_a):
        room = RoomFactory.create(location=setup.location)
        procedure = AppointmentTypeFactory.create(needs_room=True)
    api = client(practice_a)
    found = slots(api, setup, appointment_type=str(procedure.pk)).json()
    assert {slot["room"] for slot in found} == {str(room.pk)}
    booked = book(api, setup, at(setup, 9), appointment_type=str(procedure.pk))
    assert booked.status_code == 201 and booked.json()["appointment"]["room"] == str(room.pk)


def test_practice_b_appointments_are_invisible_to_practice_a(
    practice_a: Practice, practice_b: Practice, in_practice: Any
) -> None:
    with in_practice(practice_b):
        theirs_clinic = make_clinic(practice_b, patient={})
        theirs = theirs_clinic.book(theirs_clinic.next_weekday_at(10))
        their_patient = theirs.patient_id
    api = client(practice_a, Role.OWNER)
    url = f"{API}/appointments/{theirs.pk}"
    assert api.get(f"{url}/").status_code == 404
    assert api.post(f"{url}/cancel/", {}, content_type="application/json").status_code == 404
    assert (
        api.post(f"{url}/status/", {"status": "confirmed"}, content_type="application/json").status_code
        == 404
    )
    assert (
        api.post(
            f"{url}/reschedule/", {"start": "2030-01-01T10:00:00Z"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert api.get(f"{API}/appointments/").json()["count"] == 0
    assert api.get(f"{API}/appointments/", {"patient": str(their_patient)}).json()["count"] == 0
    with in_practice(practice_b):
        assert Appointment.objects.get(pk=theirs.pk).status == Appointment.Status.BOOKED


def test_practice_b_ids_cannot_be_used_to_book_in_practice_a(
    practice_a: Practice, practice_b: Practice, setup: Clinic, in_practice: Any
) -> None:
    with in_practice(practice_b):
        their_patient = PatientFactory.create()
        their_type = AppointmentTypeFactory.create()
    api = client(practice_a, Role.OWNER)
    for field, value in (("patient", their_patient.pk), ("appointment_type", their_type.pk)):
        response = book(api, setup, at(setup, 10), **{field: str(value)})
        assert response.status_code == 400 and field in response.json()["errors"]
    with in_practice(practice_a):
        assert not Appointment.objects.exists()


def test_api_bookings_are_audited_with_the_staff_member(
    practice_a: Practice, setup: Clinic, in_practice: Any
) -> None:
    user = staff(practice_a, Role.FRONT_DESK)
    api = signed_in_client(user, practice_a)
    appointment_id = book(api, setup, at(setup, 10)).json()["appointment"]["id"]
    api.post(
        f"{API}/appointments/{appointment_id}/status/",
        {"status": "confirmed"},
        content_type="application/json",
    )
    with in_practice(practice_a):
        events = AuditEvent.objects.filter(object_id=appointment_id).order_by("id")
        assert [(e.action, e.actor_email, e.actor_role) for e in events] == [
            ("create", user.email, Role.FRONT_DESK),
            ("update", user.email, Role.FRONT_DESK),
        ]
        assert events.last().changed_fields == ["status"]  # type: ignore[union-attr]


def test_appointment_list_queries_do_not_grow_with_rows(practice_a: Practice, setup: Clinic) -> None:
    api = client(practice_a)
    book(api, setup, at(setup, 9))
    api.get(f"{API}/appointments/")  # warm the session and middleware caches
    with CaptureQueriesContext(connection) as one_row:
        api.get(f"{API}/appointments/")
    for hour in range(10, 16):
        book(api, setup, at(setup, hour))
    with CaptureQueriesContext(connection) as seven_rows:
        response = api.get(f"{API}/appointments/")
    assert response.json()["count"] == 7
    assert len(seven_rows.captured_queries) == len(one_row.captured_queries)


def test_the_schema_documents_the_scheduling_api_without_warnings() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator(urlconf="practica.urls_practice").get_schema(request=None, public=True)
    # A message starts with the file's path, which may name a checkout ("wt-scheduling"): skip it.
    texts = [m.split(": ", 1)[-1] for m in [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]]
    ours = [
        text
        for text in texts
        if "scheduling" in text or any(word in text for word in ("Slot", "Appointment", "Waitlist", "Room"))
    ]
    assert ours == []
    paths = schema["paths"]
    for path in (
        "/api/v1/slots/",
        "/api/v1/appointments/",
        "/api/v1/appointments/{id}/reschedule/",
        "/api/v1/appointments/{id}/cancel/",
        "/api/v1/appointments/{id}/status/",
        "/api/v1/waitlist/",
        "/api/v1/appointment-types/",
        "/api/v1/rooms/",
    ):
        assert path in paths, sorted(paths)
    slot_params = {p["name"] for p in paths["/api/v1/slots/"]["get"]["parameters"]}
    assert {"appointment_type", "provider", "start", "end", "location"} <= slot_params


# --- bad input on every scheduling endpoint: a clear 4xx, never a 500 -----------------------------


@pytest.mark.parametrize(
    ("params", "field_or_code", "text"),
    [
        ({"start": "2026-12-01T09:00:00+25:00"}, "start", "UTC offset"),  # no such offset
        ({"start": "2026-13-01T09:00:00Z"}, "start", "ISO 8601"),  # no such month
        ({"start": "2026-12-01T09:00:00 America/New_York"}, "start", "UTC offset"),  # a zone name
        ({"location": "00000000-0000-0000-0000-000000000000"}, "location", "does not exist"),
        ({"appointment_type": "not-an-id"}, "appointment_type", ""),
    ],
)
def test_bad_time_zones_and_unknown_ids_in_slot_searches(
    practice_a: Practice, setup: Clinic, params: dict[str, str], field_or_code: str, text: str
) -> None:
    response = slots(client(practice_a), setup, **params)
    assert response.status_code == 400, response.content
    assert text in str(response.json()["errors"][field_or_code])


def test_slot_searches_outside_the_bookable_window_say_why(practice_a: Practice, setup: Clinic) -> None:
    api = client(practice_a)
    now = timezone.now()

    backwards = slots(api, setup, start=at(setup, 12).isoformat(), end=at(setup, 9).isoformat())
    assert backwards.status_code == 400 and backwards.json()["code"] == "invalid_range"

    past = slots(
        api,
        setup,
        start=(now - datetime.timedelta(days=3)).isoformat(),
        end=(now - datetime.timedelta(days=1)).isoformat(),
    )
    assert past.status_code == 400 and past.json()["code"] == "past"

    # The visit type books at most 90 days ahead.
    assert setup.visit.max_days_ahead == 90
    beyond = slots(
        api,
        setup,
        start=(now + datetime.timedelta(days=100)).isoformat(),
        end=(now + datetime.timedelta(days=110)).isoformat(),
    )
    assert beyond.status_code == 400 and beyond.json()["code"] == "too_far_ahead"
    assert "90 days ahead" in beyond.json()["message"]

    too_long = slots(
        api, setup, start=now.isoformat(), end=(now + datetime.timedelta(days=31, minutes=1)).isoformat()
    )
    assert too_long.status_code == 400 and too_long.json()["code"] == "range_too_long"

    # A range that only overlaps the window is clipped to it, not refused.
    straddling = slots(
        api,
        setup,
        start=(now - datetime.timedelta(days=1)).isoformat(),
        end=(now + datetime.timedelta(days=30)).isoformat(),
    )
    assert straddling.status_code == 200 and straddling.json()
    assert all(datetime.datetime.fromisoformat(s["start"]) > now for s in straddling.json())


@pytest.mark.parametrize("appointment_id", ["00000000-0000-0000-0000-000000000000", "not-an-id", "1"])
def test_unknown_appointment_ids_give_404_on_every_action(
    practice_a: Practice, setup: Clinic, appointment_id: str
) -> None:
    api = client(practice_a)
    url = f"{API}/appointments/{appointment_id}"
    assert api.get(f"{url}/").status_code == 404
    body = {"start": at(setup, 11).isoformat(), "status": "confirmed"}
    for action in ("reschedule", "cancel", "status"):
        response = api.post(f"{url}/{action}/", body, content_type="application/json")
        assert response.status_code == 404, (action, response.content)
    assert api.get(f"{API}/waitlist/{appointment_id}/").status_code == 404


def test_rescheduling_onto_a_taken_or_past_time_is_refused(
    practice_a: Practice, setup: Clinic, in_practice: Any
) -> None:
    api = client(practice_a)
    first = book(api, setup, at(setup, 9)).json()["appointment"]
    second = book(api, setup, at(setup, 10)).json()["appointment"]
    url = f"{API}/appointments/{second['id']}/reschedule/"

    overlapping = api.post(url, {"start": at(setup, 9, 15).isoformat()}, content_type="application/json")
    assert overlapping.status_code == 409
    assert overlapping.json()["code"] == "slot_unavailable"
    assert "no longer available" in overlapping.json()["message"]

    past = (timezone.now() - datetime.timedelta(hours=2)).isoformat()
    assert api.post(url, {"start": past}, content_type="application/json").json()["code"] == "past"
    bad_offset = api.post(url, {"start": "2026-12-01T09:00:00+99:00"}, content_type="application/json")
    assert bad_offset.status_code == 400 and "start" in bad_offset.json()["errors"]
    unknown_provider = api.post(
        url,
        {"start": at(setup, 11).isoformat(), "provider": "00000000-0000-0000-0000-000000000000"},
        content_type="application/json",
    )
    assert unknown_provider.status_code == 400 and "provider" in unknown_provider.json()["errors"]
    with in_practice(practice_a):
        kept = Appointment.objects.get(pk=second["id"])
        assert kept.status == Status.BOOKED and kept.start == at(setup, 10)
        assert Appointment.objects.get(pk=first["id"]).status == Status.BOOKED


def test_a_booking_with_an_impossible_offset_is_a_field_error(practice_a: Practice, setup: Clinic) -> None:
    response = book(client(practice_a), setup, at(setup, 10), start="2026-12-01T09:00:00+24:30")
    assert response.status_code == 400 and "UTC offset" in str(response.json()["errors"]["start"])


def test_a_location_with_an_unknown_time_zone_is_refused(practice_a: Practice) -> None:
    manager = client(practice_a, Role.MANAGER)
    for zone in ("Mars/Olympus_Mons", "-05:00", "EST5EDT-garbage"):
        response = manager.post(
            f"{API}/locations/", {"name": "Annex", "time_zone": zone}, content_type="application/json"
        )
        assert response.status_code == 400 and "time_zone" in response.json()["errors"], zone
