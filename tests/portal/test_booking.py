import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from notifications.delivery import send_due
from portal.models import PortalAccount
from practica.scheduling.booking import book_appointment
from practica.scheduling.models import Appointment, SchedulingPolicy
from practica.scheduling.policies import current_policy
from tenants.models import Practice
from tests.factories import Clinic, PatientFactory
from tests.portal.conftest import make_account, portal_client


@pytest.fixture
def patient(clinic: Clinic) -> PortalAccount:
    return make_account("pat@example.org", first_name="Pat")


@pytest.fixture
def client(patient: PortalAccount, practice_a: Practice) -> Client:
    return portal_client(patient, practice_a)


def confirm_url(clinic: Clinic, start: datetime.datetime) -> str:
    query = {
        "type": clinic.visit.pk,
        "location": clinic.location.pk,
        "provider": clinic.provider.pk,
        "start": start.isoformat(),
    }
    return f"/portal/book/confirm/?{urlencode(query)}"


def staff_booking(
    clinic: Clinic, start: datetime.datetime, patient: Any = None, now: datetime.datetime | None = None
) -> Appointment:
    return book_appointment(
        patient=patient or PatientFactory.create(),
        appointment_type=clinic.visit,
        provider=clinic.provider,
        location=clinic.location,
        start=start,
        source=Appointment.Source.STAFF,
        override=True,
        now=now,
    ).appointment


def test_choose_offers_only_online_bookable_types(clinic: Clinic, client: Client) -> None:
    html = client.get("/portal/book/").content.decode()
    assert "Dermatology follow-up" in html
    assert "Minor surgery" not in html
    assert "Any provider" in html
    response = client.get(
        "/portal/book/", {"appointment_type": str(clinic.visit.pk), "location": str(clinic.location.pk)}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/book/slots/?")
    # A type staff keep for themselves cannot be reached by editing the address either.
    query = urlencode({"type": clinic.staff_only.pk, "location": clinic.location.pk})
    assert client.get(f"/portal/book/slots/?{query}").status_code == 404


def test_slots_are_shown_in_the_location_time_zone_with_its_name(clinic: Clinic, client: Client) -> None:
    tomorrow = clinic.local(1, 0).date()
    query = urlencode({"type": clinic.visit.pk, "location": clinic.location.pk, "from": tomorrow})
    response = client.get(f"/portal/book/slots/?{query}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "America/Chicago" in html
    # 08:00 local is the first slot of the day, whatever UTC says.
    assert "8:00 AM" in html
    assert clinic.local(1, 8).isoformat().replace("+", "%2B").replace(":", "%3A") in html


def deliver(clinic: Clinic) -> None:
    """What the notification workers do, at 9:00 the next morning at the clinic (out of quiet hours)."""
    send_due(now=clinic.local(1, 9))


def test_book_confirm_email_and_ics(
    clinic: Clinic,
    client: Client,
    patient: PortalAccount,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    start = clinic.local(5, 10)  # its 72-hour reminder falls after the workers' pass below, at any hour
    page = client.get(confirm_url(clinic, start))
    html = page.content.decode()
    assert f"10:00 AM {start.tzname()}" in html  # at the location, the zone named
    assert "up to 24 hours before" in html  # the rule, shown before confirming
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm_url(clinic, start))
    assert response.status_code == 302
    appointment = Appointment.objects.get(patient=patient.patient)
    assert appointment.source == Appointment.Source.PORTAL
    assert appointment.start == start
    assert response["Location"] == f"/portal/appointments/{appointment.pk}/"
    assert "10:00 AM" in client.get(response["Location"]).content.decode()

    assert mail.outbox == []  # nothing is sent from the request: the workers send the outbox
    deliver(clinic)
    [message] = mail.outbox
    assert message.to == ["pat@example.org"]
    assert message.subject == "Your appointment is booked"
    assert "Dermatology" not in message.body and "Dermatology" not in message.subject
    assert f"/portal/appointments/{appointment.pk}/" in message.body
    assert f"10:00 AM {start.tzname()}" in message.body  # local time at the location, the zone named
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == ("appointment.ics", "text/calendar")
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == start
    assert "Dermatology" not in str(content)


def test_ics_download(clinic: Clinic, client: Client, patient: PortalAccount) -> None:
    start = clinic.local(2, 14, 30)
    appointment = staff_booking(clinic, start, patient.patient)
    response = client.get(f"/portal/appointments/{appointment.pk}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar"
    assert "attachment" in response["Content-Disposition"]
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") == start + datetime.timedelta(minutes=30)
    assert str(event["summary"]) == "Appointment at Alpha Clinic"
    assert "1 Main St" in str(event["location"])
    assert str(event["uid"]) == f"appointment-{appointment.pk}@alpha.practica.test"


def test_slot_taken_meanwhile(clinic: Clinic, client: Client, patient: PortalAccount) -> None:
    start = clinic.local(3, 11)
    client.get(confirm_url(clinic, start))
    staff_booking(clinic, start)  # someone else gets there first
    response = client.post(confirm_url(clinic, start), follow=True)
    assert "was just taken by someone else" in response.content.decode()
    assert response.redirect_chain[0][0].startswith("/portal/book/slots/")
    assert not Appointment.objects.filter(patient=patient.patient).exists()


def test_rules_the_engine_enforces_come_back_as_messages(clinic: Clinic, client: Client) -> None:
    too_soon = clinic.local(0, 0) - datetime.timedelta(days=1)
    response = client.post(confirm_url(clinic, too_soon))
    assert response.status_code == 400
    assert "in the past" in response.content.decode()
    assert client.get("/portal/book/confirm/?type=nope&start=x").status_code == 404


def test_reschedule(
    clinic: Clinic,
    client: Client,
    patient: PortalAccount,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    appointment = staff_booking(clinic, clinic.local(4, 9), patient.patient)
    page = client.get(
        f"/portal/appointments/{appointment.pk}/reschedule/", {"from": str(clinic.local(5, 0).date())}
    )
    assert "America/Chicago" in page.content.decode()
    new_start = clinic.local(5, 15)
    url = f"/portal/appointments/{appointment.pk}/reschedule/confirm/?" + urlencode(
        {"provider": clinic.provider.pk, "start": new_start.isoformat()}
    )
    assert new_start.isoformat().replace("+", "%2B").replace(":", "%3A") in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.RESCHEDULED
    moved = Appointment.objects.get(rescheduled_from=appointment)
    assert moved.start == new_start and moved.source == Appointment.Source.PORTAL
    assert mail.outbox == []
    deliver(clinic)
    [message] = [m for m in mail.outbox if m.subject == "Your appointment has moved"]
    assert f"3:00 PM {new_start.tzname()}" in message.body
    assert message.attachments[0][0] == "appointment.ics"


def test_cancel_outside_the_cutoff(
    clinic: Clinic,
    client: Client,
    patient: PortalAccount,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    appointment = staff_booking(clinic, clinic.local(3, 9), patient.patient)
    page = client.get(f"/portal/appointments/{appointment.pk}/cancel/")
    assert "up to 24 hours before" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/portal/appointments/{appointment.pk}/cancel/", {"reason": "Feeling better"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED_BY_PATIENT
    assert not appointment.late_cancel
    assert mail.outbox == []
    deliver(clinic)
    [message] = [m for m in mail.outbox if m.subject == "Your appointment is cancelled"]
    assert "Dermatology" not in message.body
    assert "/portal/book/" in message.body  # to book again


def soon(clinic: Clinic) -> datetime.datetime:
    """A start about 3 hours from now: inside the 24-hour cutoff."""
    return (timezone.now() + datetime.timedelta(hours=3)).replace(second=0, microsecond=0)


def test_cancel_inside_the_cutoff_is_refused_when_the_practice_says_so(
    clinic: Clinic, client: Client, patient: PortalAccount
) -> None:
    appointment = staff_booking(clinic, soon(clinic), patient.patient)
    page = client.get(f"/portal/appointments/{appointment.pk}/cancel/")
    assert "Please call the practice" in page.content.decode()
    assert "<form" not in page.content.decode().split("portal-nav")[-1].split("</nav>", 1)[-1]
    response = client.post(f"/portal/appointments/{appointment.pk}/cancel/")
    assert response.status_code == 409
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    reschedule = client.post(
        f"/portal/appointments/{appointment.pk}/reschedule/confirm/?"
        + urlencode({"provider": clinic.provider.pk, "start": clinic.local(5, 9).isoformat()})
    )
    assert reschedule.status_code == 409
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_cancel_inside_the_cutoff_is_flagged_late_when_the_practice_allows(
    clinic: Clinic, client: Client, patient: PortalAccount
) -> None:
    SchedulingPolicy.objects.update_or_create(
        singleton=True,
        defaults={"late_cancel": SchedulingPolicy.LateCancel.FLAG, "late_cancel_fee_cents": 2500},
    )
    appointment = staff_booking(clinic, soon(clinic), patient.patient)
    page = client.get(f"/portal/appointments/{appointment.pk}/cancel/").content.decode()
    assert "late cancellation, and a fee of $25.00 may apply" in page
    assert "Cancel anyway (late)" in page
    response = client.post(f"/portal/appointments/{appointment.pk}/cancel/")
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED_BY_PATIENT
    assert appointment.late_cancel


def test_home_lists_upcoming_and_past(clinic: Clinic, client: Client, patient: PortalAccount) -> None:
    upcoming = staff_booking(clinic, clinic.local(6, 9), patient.patient)
    past_start = clinic.local(-3, 9)
    past = staff_booking(clinic, past_start, patient.patient, now=past_start - datetime.timedelta(days=1))
    html = client.get("/portal/").content.decode()
    upcoming_part, past_part = html.split("Past visits")
    assert f"/portal/appointments/{upcoming.pk}/" in upcoming_part
    assert f"/portal/appointments/{upcoming.pk}/cancel/" in upcoming_part
    assert past.start.astimezone(clinic.local(0, 0).tzinfo).strftime("%-d %B %Y") in past_part
    assert 'href="/portal/balance/"' in html  # the balance page replaced the "coming soon" note


def count_queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    # django-tenants sets the search path before each query: count the queries themselves.
    return sum(1 for query in queries.captured_queries if not query["sql"].startswith("SET search_path"))


def test_query_counts_do_not_grow_with_appointments(
    clinic: Clinic, client: Client, patient: PortalAccount
) -> None:
    current_policy()  # created once per practice, on first use
    slots_path = "/portal/book/slots/?" + urlencode({"type": clinic.visit.pk, "location": clinic.location.pk})
    home_few, slots_few = count_queries(client, "/portal/"), count_queries(client, slots_path)
    for day in range(1, 6):
        staff_booking(clinic, clinic.local(day, 9), patient.patient)
        past_start = clinic.local(-day, 9)
        staff_booking(clinic, past_start, patient.patient, now=past_start - datetime.timedelta(days=1))
        staff_booking(clinic, clinic.local(day, 13))
    home_many, slots_many = count_queries(client, "/portal/"), count_queries(client, slots_path)
    assert home_many == home_few <= 10
    assert slots_many == slots_few <= 18


def test_reschedule_to_a_time_taken_meanwhile_keeps_the_old_appointment(
    clinic: Clinic, client: Client, patient: PortalAccount
) -> None:
    appointment = staff_booking(clinic, clinic.local(4, 9), patient.patient)
    new_start = clinic.local(5, 10)
    staff_booking(clinic, new_start)  # someone else books it first
    url = f"/portal/appointments/{appointment.pk}/reschedule/confirm/?" + urlencode(
        {"provider": clinic.provider.pk, "start": new_start.isoformat()}
    )
    response = client.post(url, follow=True)
    assert "was just taken by someone else" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED  # the move was rolled back whole
    assert not Appointment.objects.filter(rescheduled_from=appointment).exists()
