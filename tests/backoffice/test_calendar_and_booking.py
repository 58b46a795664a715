import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from practica.accounts.roles import Role
from practica.scheduling import calendar
from practica.scheduling.models import Appointment, WaitlistEntry, WaitlistOffer
from practica.scheduling.waitlist import join_waitlist
from tests.factories import Clinic, PatientFactory


def booking_data(clinic: Clinic, start: datetime.datetime, **extra: Any) -> dict[str, Any]:
    return {
        "patient": clinic.patient.pk,
        "appointment_type": clinic.visit.pk,
        "provider": clinic.provider.pk,
        "location": clinic.location.pk,
        "date": start.date().isoformat(),
        "time": start.strftime("%H:%M"),
        **extra,
    }


def test_calendar_week_shows_appointments_in_local_time_with_type_and_status(
    as_role: Any, clinic: Clinic
) -> None:
    start = clinic.next_weekday_at(10)
    appointment = clinic.book(start)
    client = as_role(Role.FRONT_DESK)
    url = f"/schedule/?scope=provider&id={clinic.provider.pk}&date={start.date()}"
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/schedule/appointments/{appointment.pk}/" in html
    assert f"type-{clinic.visit.pk}" in html and "status-booked" in html
    assert "10:00 Grace Hopper" in html  # 10:00 New York, not UTC
    css = client.get("/schedule/type-colours.css")
    assert css["Content-Type"] == "text/css"
    assert f".type-{clinic.visit.pk} {{ border-left-color: #336699; }}" in css.content.decode()


@pytest.mark.parametrize("scope", ["location", "room"])
@pytest.mark.parametrize("view", ["day", "week"])
def test_calendar_scopes_and_views(as_role: Any, clinic: Clinic, scope: str, view: str) -> None:
    start = clinic.next_weekday_at(11)
    clinic.visit.needs_room = True
    clinic.visit.save()
    clinic.book(start)
    object_id = clinic.room.pk if scope == "room" else clinic.location.pk
    response = as_role(Role.CLINICIAN).get(
        f"/schedule/?scope={scope}&id={object_id}&view={view}&date={start.date()}"
    )
    assert response.status_code == 200
    assert "11:00 Grace Hopper" in response.content.decode()


def test_free_cell_links_to_a_prefilled_booking_form(as_role: Any, clinic: Clinic) -> None:
    start = clinic.next_weekday_at(9)
    client = as_role(Role.FRONT_DESK)
    html = client.get(
        f"/schedule/?scope=provider&id={clinic.provider.pk}&view=day&date={start.date()}"
    ).content.decode()
    link = (
        f"/schedule/book/?start={start:%Y-%m-%dT%H:%M}"
        f"&amp;location={clinic.location.pk}&amp;provider={clinic.provider.pk}"
    )
    assert link in html
    form = client.get(link.replace("&amp;", "&") + "&q=Hopper").context["form"]
    assert form.initial["date"] == start.date() and form.initial["time"] == datetime.time(9)
    assert form.initial["provider"] == str(clinic.provider.pk)
    assert list(form.fields["patient"].queryset) == [clinic.patient]


# Pinned: request plumbing (tenant, session, user, role; one `SET search_path` per tenant change),
# locations, policy, appointments, audit insert, the pickers, and for a provider its working hours.
@pytest.mark.parametrize(("scope", "pinned"), [("location", 16), ("provider", 23)])
def test_calendar_week_query_count_does_not_grow_with_appointments(
    as_role: Any, clinic: Clinic, scope: str, pinned: int
) -> None:
    client = as_role(Role.FRONT_DESK)
    first = clinic.next_weekday_at(9)
    object_id = clinic.location.pk if scope == "location" else clinic.provider.pk
    url = f"/schedule/?scope={scope}&id={object_id}&date={first.date()}"
    clinic.book(first)
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for hour in range(10, 16):
        clinic.book(first.replace(hour=hour), patient=PatientFactory.create())
        clinic.book(first.replace(hour=hour) + datetime.timedelta(days=1), patient=PatientFactory.create())
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["grid"].appointments) == 13
    assert len(one) == pinned
    assert len(many) == pinned


def test_book_from_slot(as_role: Any, clinic: Clinic) -> None:
    start = clinic.next_weekday_at(10)
    response = as_role(Role.FRONT_DESK).post("/schedule/book/", booking_data(clinic, start))
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert response["Location"] == f"/schedule/appointments/{appointment.pk}/"
    assert appointment.start == start and appointment.source == "staff"
    assert appointment.booked_by_id is not None


def test_booking_a_taken_slot_is_a_clear_form_error(as_role: Any, clinic: Clinic) -> None:
    start = clinic.next_weekday_at(10)
    clinic.book(start)
    other = PatientFactory.create()
    response = as_role(Role.FRONT_DESK).post("/schedule/book/", booking_data(clinic, start, patient=other.pk))
    assert response.status_code == 400
    assert "no longer available" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_booking_outside_hours_warns_and_needs_the_override_box(as_role: Any, clinic: Clinic) -> None:
    evening = clinic.next_weekday_at(19)
    client = as_role(Role.FRONT_DESK)
    refused = client.post("/schedule/book/", booking_data(clinic, evening))
    assert refused.status_code == 400
    assert "outside Dr Ada Lane" in refused.context["warning"]
    assert 'role="alert"' in refused.content.decode()
    # The confirm box is offered with the warning, not on the first form.
    assert 'name="override"' in refused.content.decode()
    assert "override" not in client.get("/schedule/book/").context["form"].fields
    assert not Appointment.objects.exists()
    booked = client.post("/schedule/book/", booking_data(clinic, evening, override="on"), follow=True)
    assert booked.status_code == 200
    appointment = Appointment.objects.get()
    assert appointment.outside_hours_override
    assert any("outside" in str(m) for m in booked.context["messages"])


@pytest.mark.parametrize(
    "change",
    [
        {"patient": "00000000-0000-0000-0000-000000000000"},
        {"date": "not a date"},
        {"time": "25:99"},
        {"appointment_type": ""},
    ],
)
def test_bad_booking_input_is_a_form_error(as_role: Any, clinic: Clinic, change: dict[str, str]) -> None:
    data = {**booking_data(clinic, clinic.next_weekday_at(10)), **change}
    response = as_role(Role.FRONT_DESK).post("/schedule/book/", data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Appointment.objects.exists()


def test_booking_in_the_past_is_refused(as_role: Any, clinic: Clinic) -> None:
    past = clinic.next_weekday_at(10, days=-10)
    response = as_role(Role.FRONT_DESK).post("/schedule/book/", booking_data(clinic, past, override="on"))
    assert response.status_code == 400
    assert "in the past" in response.content.decode()


def test_reschedule(as_role: Any, clinic: Clinic) -> None:
    appointment = clinic.book(clinic.next_weekday_at(10))
    new_start = clinic.next_weekday_at(14)
    data = {
        "provider": clinic.provider.pk,
        "location": clinic.location.pk,
        "date": new_start.date(),
        "time": "14:00",
    }
    response = as_role(Role.CLINICIAN).post(f"/schedule/appointments/{appointment.pk}/reschedule/", data)
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "rescheduled"
    moved = Appointment.objects.get(rescheduled_from=appointment)
    assert moved.start == new_start
    assert response["Location"] == f"/schedule/appointments/{moved.pk}/"


def test_reschedule_onto_a_taken_slot_shows_the_error_and_keeps_the_appointment(
    as_role: Any, clinic: Clinic
) -> None:
    appointment = clinic.book(clinic.next_weekday_at(10))
    taken = clinic.book(clinic.next_weekday_at(14), patient=PatientFactory.create())
    data = {
        "provider": clinic.provider.pk,
        "location": clinic.location.pk,
        "date": taken.start.date(),
        "time": "14:00",
    }
    response = as_role(Role.FRONT_DESK).post(f"/schedule/appointments/{appointment.pk}/reschedule/", data)
    assert response.status_code == 400
    assert "no longer available" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_cancel_needs_a_reason(as_role: Any, clinic: Clinic) -> None:
    appointment = clinic.book(clinic.next_weekday_at(10))
    client = as_role(Role.FRONT_DESK)
    missing = client.post(f"/schedule/appointments/{appointment.pk}/cancel/", {"reason": ""})
    assert missing.status_code == 400
    assert "reason" in missing.context["cancel_form"].errors
    done = client.post(
        f"/schedule/appointments/{appointment.pk}/cancel/", {"reason": "Feeling better", "by_patient": "on"}
    )
    assert done.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancellation_reason) == ("cancelled_patient", "Feeling better")
    again = client.post(f"/schedule/appointments/{appointment.pk}/cancel/", {"reason": "Twice"})
    assert again.status_code == 400
    assert "cannot become" in again.content.decode()


def test_staff_record_a_late_patient_cancellation_even_when_online_changes_are_refused(
    as_role: Any, clinic: Clinic
) -> None:
    from practica.scheduling.models import SchedulingPolicy

    SchedulingPolicy.objects.update_or_create(
        singleton=True, defaults={"cancel_cutoff_hours": 24 * 30, "late_cancel": "refuse"}
    )
    appointment = clinic.book(clinic.next_weekday_at(10))
    done = as_role(Role.FRONT_DESK).post(
        f"/schedule/appointments/{appointment.pk}/cancel/", {"reason": "Called in sick", "by_patient": "on"}
    )
    assert done.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.late_cancel) == ("cancelled_patient", True)


def test_status_buttons_walk_a_visit_through_the_day(as_role: Any, clinic: Clinic) -> None:
    appointment = clinic.book(clinic.next_weekday_at(10))
    client = as_role(Role.FRONT_DESK)
    url = f"/schedule/appointments/{appointment.pk}/status/"
    for status in ("checked_in", "in_room", "completed"):
        response = client.post(url, {"status": status, "next": "/schedule/today/"})
        assert response.status_code == 302 and response["Location"] == "/schedule/today/"
        appointment.refresh_from_db()
        assert appointment.status == status
    refused = client.post(url, {"status": "no_show"}, follow=True)
    assert any("cannot become" in str(m) for m in refused.context["messages"])
    assert client.post(url, {"status": "cancelled_practice"}, follow=True).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == "completed"
    outside = client.post(url, {"status": "checked_in", "next": "https://evil.example/"})
    assert outside["Location"] == f"/schedule/appointments/{appointment.pk}/"


def test_no_show_button(as_role: Any, clinic: Clinic) -> None:
    appointment = clinic.book(clinic.next_weekday_at(10))
    # A no-show can only be marked once the start has passed: move the booked visit into the past.
    shift = appointment.start - (timezone.now() - datetime.timedelta(hours=1))
    Appointment.objects.filter(pk=appointment.pk).update(
        start=appointment.start - shift,
        end=appointment.end - shift,
        occupancy=DateTimeTZRange(appointment.occupancy.lower - shift, appointment.occupancy.upper - shift),
    )
    as_role(Role.FRONT_DESK).post(f"/schedule/appointments/{appointment.pk}/status/", {"status": "no_show"})
    appointment.refresh_from_db()
    assert appointment.status == "no_show"


def test_today_list_in_order_with_buttons(as_role: Any, clinic: Clinic, monkeypatch: Any) -> None:
    first = clinic.next_weekday_at(11)
    second = clinic.book(first.replace(hour=15), patient=PatientFactory.create(first_name="Zed"))
    earlier = clinic.book(first, patient=PatientFactory.create(first_name="Amy"))
    fake_now = first.replace(hour=8).astimezone(datetime.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: fake_now)
    response = as_role(Role.FRONT_DESK).get(f"/schedule/today/?location={clinic.location.pk}")
    assert response.status_code == 200
    assert [row[0].pk for row in response.context["rows"]] == [earlier.pk, second.pk]
    html = response.content.decode()
    assert html.index("Amy") < html.index("Zed")
    assert html.count('/check-in/" aria-label="Check in') == 2 and "No-show" in html


def test_waitlist_add_and_see_offers(as_role: Any, clinic: Clinic) -> None:
    client = as_role(Role.FRONT_DESK)
    day = clinic.next_weekday_at(9).date()
    data = {
        "patient": clinic.patient.pk,
        "appointment_type": clinic.visit.pk,
        "earliest": day,
        "latest": day + datetime.timedelta(days=7),
    }
    assert client.post("/schedule/waitlist/", data).status_code == 302
    entry = WaitlistEntry.objects.get()
    assert entry.provider is None and entry.latest > entry.earliest
    bad = client.post("/schedule/waitlist/", {**data, "latest": day - datetime.timedelta(days=1)})
    assert bad.status_code == 400 and "latest" in bad.context["form"].errors
    offer_start = clinic.next_weekday_at(10)
    WaitlistOffer.objects.create(
        entry=entry,
        provider=clinic.provider,
        location=clinic.location,
        start=offer_start,
        expires_at=offer_start - datetime.timedelta(hours=1),
    )
    html = client.get("/schedule/waitlist/").content.decode()
    assert "Grace Hopper" in html and "Check-up" in html and "Any provider" in html
    # The offer, at its location, the zone named (New York by default).
    shown = f"{offer_start:%-d %b %Y}, 10:00 AM {offer_start.tzname()}"
    assert f"{shown}, Dr Ada Lane at {clinic.location.name}: Open" in html


def test_taking_a_patient_off_the_waitlist_withdraws_their_offers(as_role: Any, clinic: Clinic) -> None:
    start = clinic.next_weekday_at(10)
    entry = join_waitlist(
        patient=clinic.patient,
        appointment_type=clinic.visit,
        earliest=start - datetime.timedelta(hours=1),
        latest=start + datetime.timedelta(hours=2),
    )
    offer = WaitlistOffer.objects.create(
        entry=entry,
        provider=clinic.provider,
        location=clinic.location,
        start=start,
        expires_at=start - datetime.timedelta(hours=1),
    )
    WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.OFFERED)
    remove = f"/schedule/waitlist/{entry.pk}/remove/"
    assert remove in as_role(Role.FRONT_DESK).get("/schedule/waitlist/").content.decode()
    assert as_role(Role.BILLER).post(remove).status_code == 403
    assert as_role(Role.FRONT_DESK).get(remove).status_code == 405

    response = as_role(Role.FRONT_DESK).post(remove, follow=True)
    assert "Hopper, Grace taken off the waitlist and 1 open offer(s) withdrawn." in response.content.decode()
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.CANCELLED
    assert WaitlistOffer.objects.get(pk=offer.pk).status == WaitlistOffer.Status.WITHDRAWN
    again = as_role(Role.FRONT_DESK).post(remove, follow=True).content.decode()
    assert "no longer waiting" in again and remove not in again


def test_pages_keep_errors_tied_to_fields(as_role: Any, clinic: Clinic) -> None:
    response = as_role(Role.FRONT_DESK).post("/schedule/book/", {"date": "x"})
    html = response.content.decode()
    assert 'aria-describedby="id_date_error"' in html and 'id="id_date_error"' in html
    assert '<label for="id_patient">' in html


def test_calendar_page_works_under_the_csp_and_offers_drag_to_move(as_role: Any, clinic: Clinic) -> None:
    appointment = clinic.book(clinic.next_weekday_at(10))
    client = as_role(Role.FRONT_DESK)
    response = client.get(
        f"/schedule/?scope=provider&id={clinic.provider.pk}&date={appointment.start.date()}"
    )
    html = response.content.decode()
    assert "style=" not in html and "<script>" not in html
    assert '<script type="module" src="/static/js/calendar.js"></script>' in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    # The script submits this form to the same reschedule endpoint the appointment page uses.
    assert f'data-move-url="/schedule/appointments/{appointment.pk}/reschedule/"' in html
    assert 'id="move-form" method="post"' in html and 'name="csrfmiddlewaretoken"' in html
    assert f'data-date="{appointment.start.date()}" data-time="14:00"' in html


def test_biller_calendar_has_no_drag_or_booking(as_role: Any, clinic: Clinic) -> None:
    appointment = clinic.book(clinic.next_weekday_at(10))
    html = as_role(Role.BILLER).get(f"/schedule/?date={appointment.start.date()}").content.decode()
    assert "data-move-url" not in html and 'id="move-form"' not in html and "/schedule/book/" not in html


def test_reschedule_outside_hours_needs_the_override_box(as_role: Any, clinic: Clinic) -> None:
    appointment = clinic.book(clinic.next_weekday_at(10))
    client = as_role(Role.FRONT_DESK)
    evening = clinic.next_weekday_at(18)
    data = {
        "provider": clinic.provider.pk,
        "location": clinic.location.pk,
        "date": evening.date(),
        "time": "18:00",
    }
    url = f"/schedule/appointments/{appointment.pk}/reschedule/"
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "working hours" in refused.context["warning"]
    assert 'name="override"' in refused.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert client.post(url, {**data, "override": "on"}).status_code == 302
    moved = Appointment.objects.get(rescheduled_from=appointment)
    assert moved.start == evening and moved.outside_hours_override


def test_far_off_dates_are_form_errors_not_crashes(as_role: Any, clinic: Clinic) -> None:
    client = as_role(Role.MANAGER)
    for date in ("9999-12-31", "0001-01-01", "2026-02-30"):
        for scope, object_id in (("location", clinic.location.pk), ("provider", clinic.provider.pk)):
            url = f"/schedule/?scope={scope}&id={object_id}"
            assert client.get(f"{url}&date={date}&view=week").status_code == 200
        booking = booking_data(clinic, clinic.next_weekday_at(10), date=date)
        response = client.post("/schedule/book/", booking)
        assert response.status_code == 400 and "date" in response.context["form"].errors
    waitlist = {"patient": clinic.patient.pk, "appointment_type": clinic.visit.pk, "earliest": "2026-01-01"}
    assert client.post("/schedule/waitlist/", {**waitlist, "latest": "9999-12-31"}).status_code == 400
    period = {
        "start_date": "9999-12-31",
        "start_time": "23:00",
        "end_date": "9999-12-31",
        "end_time": "23:59",
    }
    response = client.post("/setup/time-off/new/", {"provider": clinic.provider.pk, **period})
    assert response.status_code == 400 and "start_date" in response.context["form"].errors
    assert client.get("/schedule/book/?start=9999-12-31T23:59&provider=nope").status_code == 200


def test_today_list_query_count_does_not_grow(as_role: Any, clinic: Clinic, monkeypatch: Any) -> None:
    client = as_role(Role.FRONT_DESK)
    first = clinic.next_weekday_at(9)
    clinic.book(first)
    # Only the calendar's idea of "today" moves: sessions keep the real clock.
    morning = first.replace(hour=7).astimezone(datetime.UTC)
    monkeypatch.setattr(calendar, "timezone", SimpleNamespace(now=lambda: morning))
    url = f"/schedule/today/?location={clinic.location.pk}"
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for hour in range(10, 16):
        clinic.book(first.replace(hour=hour), patient=PatientFactory.create())
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200, response.get("Location")
    assert len(response.context["rows"]) == 7
    assert len(many) == len(one)


def test_duplicate_npi_is_a_field_error(as_role: Any, clinic: Clinic) -> None:
    data = {
        "display_name": "Dr Twin",
        "npi": clinic.provider.npi,
        "locations": [clinic.location.pk],
        "is_active": "on",
    }
    response = as_role(Role.OWNER).post("/setup/providers/new/", data)
    assert response.status_code == 400
    assert "npi" in response.context["form"].errors or response.context["form"].non_field_errors()


def test_the_calendar_opens_on_today_with_the_current_time_marked(
    as_role: Any, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Now" is a weekday at 10:07 at the location, whatever the clock the suite runs on.
    moment = clinic.next_weekday_at(10) + datetime.timedelta(minutes=7)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment.astimezone(datetime.UTC))
    client = as_role(Role.FRONT_DESK)  # its session opened at that moment too
    response = client.get("/schedule/")
    grid = response.context["grid"]
    assert grid.first == moment.date()
    assert [column.date for column in grid.columns] == [
        moment.date() + datetime.timedelta(days=n) for n in range(7)
    ]
    [row] = [row for row in grid.rows if row.now]
    assert row.label == "10:00"
    assert [cell.column.date for cell in row.cells if cell.now] == [moment.date()]
    html = response.content.decode()
    assert html.count('id="now"') == 1
    assert '<tr id="now" class="now"><th scope="row">10:00 <span class="now-mark">now</span></th>' in html
    assert f'date={moment.date():%Y-%m-%d}#now">Today</a>' in html
    # A day that is not today has no "now".
    other = client.get(f"/schedule/?view=day&date={moment.date() + datetime.timedelta(days=1)}")
    assert 'id="now"' not in other.content.decode()


def test_late_in_the_evening_the_grid_reaches_the_current_time(
    as_role: Any, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    moment = clinic.next_weekday_at(21) + datetime.timedelta(minutes=37)  # hours end at 17:00
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment.astimezone(datetime.UTC))
    grid = as_role(Role.FRONT_DESK).get("/schedule/").context["grid"]
    [row] = [row for row in grid.rows if row.now]
    assert row.label == "21:30" and grid.rows[-1].label < "23:00"
    # Another day's grid keeps its usual span.
    tomorrow = moment.date() + datetime.timedelta(days=1)
    other = as_role(Role.FRONT_DESK).get(f"/schedule/?view=day&date={tomorrow}").context["grid"]
    assert other.rows[-1].label < "19:00"


def test_free_cells_show_a_book_link_named_for_the_time_and_provider(as_role: Any, clinic: Clinic) -> None:
    start = clinic.next_weekday_at(11)
    clinic.book(clinic.next_weekday_at(10))
    html = as_role(Role.FRONT_DESK).get(f"/schedule/?view=day&date={start.date()}").content.decode()
    # Visible "Book" text, and the accessible name says which cell: keyboard users tab onto it.
    name = f"{start:%a} {start.day} {start:%b %H:%M} with Dr Ada Lane"
    assert f'<span aria-hidden="true">+</span> Book<span class="visually-hidden"> {name}</span></a>' in html
    taken = clinic.next_weekday_at(10)
    assert f"start={taken:%Y-%m-%dT%H:%M}" not in html  # no booking link on a booked cell


def test_a_move_dragged_on_the_calendar_returns_to_the_calendar(as_role: Any, clinic: Clinic) -> None:
    appointment = clinic.book(clinic.next_weekday_at(10))
    new_start = clinic.next_weekday_at(15)
    back = f"/schedule/?scope=provider&id={clinic.provider.pk}&date={new_start.date()}"
    data = {
        "provider": clinic.provider.pk,
        "location": clinic.location.pk,
        "date": new_start.date(),
        "time": "15:00",
        "next": back,
    }
    client = as_role(Role.FRONT_DESK)
    response = client.post(f"/schedule/appointments/{appointment.pk}/reschedule/", data)
    assert response.status_code == 302 and response["Location"] == back
    moved = Appointment.objects.get(rescheduled_from=appointment)
    assert moved.start == new_start
    # Only ever back to a calendar page of this site.
    again = client.post(
        f"/schedule/appointments/{moved.pk}/reschedule/",
        {**data, "time": "16:00", "next": "https://evil.example/schedule/?"},
    )
    assert (
        again["Location"] == f"/schedule/appointments/{Appointment.objects.get(rescheduled_from=moved).pk}/"
    )
