"""The provider's private busy-times iCalendar feed: what it shows, who can turn it on, and that
a rotated, revoked or other practice's token opens nothing."""

import datetime
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from practica.accounts.roles import Role
from practica.audit.models import AuditEvent
from practica.scheduling.booking import cancel_appointment
from practica.scheduling.feeds import provider_for_feed_token, rotate_feed_token
from practica.scheduling.models import Provider
from tenants.models import Practice
from tests.conftest import host_of, signed_in_client, staff
from tests.factories import Clinic, PatientFactory, ProviderFactory


def anonymous(practice: Practice) -> Client:
    return Client(HTTP_HOST=host_of(practice))


def feed_events(response: Any) -> list[Any]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


def test_feed_shows_busy_times_only_in_utc(clinic: Clinic) -> None:
    start = clinic.next_weekday_at(10)
    appointment = clinic.book(start)
    token = rotate_feed_token(clinic.provider)

    response = anonymous(clinic.practice).get(f"/schedule/feeds/{token}.ics")

    events = feed_events(response)
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]) == "Busy"
    assert event.decoded("dtstart") == appointment.start.astimezone(datetime.UTC)
    assert event.decoded("dtstart").utcoffset() == datetime.timedelta(0)
    assert event.decoded("dtend") == appointment.end.astimezone(datetime.UTC)
    body = response.content.decode()
    assert "DTSTART:" in body and body.count("Z\r\n") >= 2
    for secret in ("Grace", "Hopper", "Check-up", str(clinic.patient.pk)):
        assert secret not in body
    assert "DESCRIPTION" not in body and "LOCATION" not in body
    assert response["Cache-Control"] == "private, no-store"


def test_cancelled_and_out_of_window_appointments_are_not_in_the_feed(clinic: Clinic) -> None:
    kept = clinic.book(clinic.next_weekday_at(10))
    cancelled = clinic.book(clinic.next_weekday_at(11))
    cancel_appointment(cancelled, by_patient=False, reason="Grace is travelling")
    token = rotate_feed_token(clinic.provider)

    events = feed_events(anonymous(clinic.practice).get(f"/schedule/feeds/{token}.ics"))

    assert [str(e["uid"]).split("@")[0] for e in events] == [f"busy-{kept.pk}"]
    body = anonymous(clinic.practice).get(f"/schedule/feeds/{token}.ics").content.decode()
    assert "travelling" not in body


def test_rotating_revokes_the_old_address_at_once(clinic: Clinic) -> None:
    manager = signed_in_client(staff(clinic.practice, Role.MANAGER), clinic.practice)
    url = f"/setup/providers/{clinic.provider.pk}/feed/"
    setup_page = manager.get(f"/setup/providers/{clinic.provider.pk}/").content.decode()
    assert "No calendar feed." in setup_page and f'href="{url}"' in setup_page

    assert manager.post(url, {"action": "rotate"}).status_code == 302
    assert (
        "A private busy-times feed is on."
        in manager.get(f"/setup/providers/{clinic.provider.pk}/").content.decode()
    )
    first = Provider.objects.get(pk=clinic.provider.pk).feed_token
    assert len(first) == 43
    page = manager.get(url)
    assert f"/schedule/feeds/{first}.ics" in page.content.decode()
    assert anonymous(clinic.practice).get(f"/schedule/feeds/{first}.ics").status_code == 200

    manager.post(url, {"action": "rotate"})
    second = Provider.objects.get(pk=clinic.provider.pk).feed_token
    assert second != first
    assert anonymous(clinic.practice).get(f"/schedule/feeds/{first}.ics").status_code == 404
    assert anonymous(clinic.practice).get(f"/schedule/feeds/{second}.ics").status_code == 200

    manager.post(url, {"action": "revoke"})
    assert Provider.objects.get(pk=clinic.provider.pk).feed_token == ""
    assert anonymous(clinic.practice).get(f"/schedule/feeds/{second}.ics").status_code == 404
    assert manager.post(url, {"action": "explode"}).status_code == 400


def test_unknown_tokens_give_404(clinic: Clinic) -> None:
    rotate_feed_token(clinic.provider)
    client = anonymous(clinic.practice)
    for token in ["x" * 43, "short", "a" * 200, "..%2F" * 11]:
        assert client.get(f"/schedule/feeds/{token}.ics").status_code == 404
    assert provider_for_feed_token("") is None


def test_inactive_provider_feed_gives_404(clinic: Clinic) -> None:
    token = rotate_feed_token(clinic.provider)
    Provider.objects.filter(pk=clinic.provider.pk).update(is_active=False)
    assert anonymous(clinic.practice).get(f"/schedule/feeds/{token}.ics").status_code == 404


def test_another_practices_token_is_unknown_here(
    clinic: Clinic, practice_b: Practice, in_practice: Any
) -> None:
    with in_practice(practice_b):
        other = ProviderFactory.create(display_name="Dr Beta")
        token = rotate_feed_token(other)
    assert anonymous(clinic.practice).get(f"/schedule/feeds/{token}.ics").status_code == 404
    assert feed_events(anonymous(practice_b).get(f"/schedule/feeds/{token}.ics")) == []


def test_feed_query_count_does_not_grow_with_appointments(clinic: Clinic) -> None:
    token = rotate_feed_token(clinic.provider)
    client = anonymous(clinic.practice)
    url = f"/schedule/feeds/{token}.ics"
    clinic.book(clinic.next_weekday_at(9))
    client.get(url)  # warm any per-process caches (the practice lookup)
    with CaptureQueriesContext(connection) as one:
        assert len(feed_events(client.get(url))) == 1
    for hour in (10, 11, 12, 13, 14):
        clinic.book(clinic.next_weekday_at(hour), patient=PatientFactory.create())
    with CaptureQueriesContext(connection) as six:
        assert len(feed_events(client.get(url))) == 6
    assert len(six.captured_queries) == len(one.captured_queries)
    # The feed's own reads are the provider lookup and the appointments: nothing per appointment.
    feed_reads = [q["sql"] for q in six.captured_queries if '"scheduling_' in q["sql"]]
    assert len(feed_reads) == 2


def test_who_may_manage_the_feed(clinic: Clinic) -> None:
    url = f"/setup/providers/{clinic.provider.pk}/feed/"
    front_desk = signed_in_client(staff(clinic.practice, Role.FRONT_DESK), clinic.practice)
    assert front_desk.get(url).status_code == 403
    assert front_desk.post(url, {"action": "rotate"}).status_code == 403
    assert Provider.objects.get(pk=clinic.provider.pk).feed_token == ""

    # The provider's own user manages their own feed, even without MANAGE_SETUP.
    own_user = staff(clinic.practice, Role.CLINICIAN)
    Provider.objects.filter(pk=clinic.provider.pk).update(user=own_user)
    own = signed_in_client(own_user, clinic.practice)
    assert "Calendar feed" in own.get("/setup/").content.decode()
    assert own.post(url, {"action": "rotate"}).status_code == 302
    assert Provider.objects.get(pk=clinic.provider.pk).feed_token != ""

    # Signed out: the management page is closed (only the feed itself is open, by token).
    assert anonymous(clinic.practice).post(url, {"action": "revoke"}).status_code in (302, 403)
    assert Provider.objects.get(pk=clinic.provider.pk).feed_token != ""


def test_manager_of_another_practice_gets_404(clinic: Clinic, practice_b: Practice, in_practice: Any) -> None:
    other_manager = signed_in_client(staff(practice_b, Role.MANAGER), practice_b)
    response = other_manager.post(f"/setup/providers/{clinic.provider.pk}/feed/", {"action": "rotate"})
    assert response.status_code == 404
    with in_practice(clinic.practice):
        assert Provider.objects.get(pk=clinic.provider.pk).feed_token == ""


def test_creating_and_rotating_the_feed_is_audited_without_the_token(clinic: Clinic) -> None:
    manager = signed_in_client(staff(clinic.practice, Role.MANAGER, email="m@alpha.test"), clinic.practice)
    url = f"/setup/providers/{clinic.provider.pk}/feed/"
    manager.post(url, {"action": "rotate"})
    manager.post(url, {"action": "rotate"})
    token = Provider.objects.get(pk=clinic.provider.pk).feed_token

    events = list(
        AuditEvent.objects.filter(
            object_type="scheduling.provider",
            object_id=str(clinic.provider.pk),
            action=AuditEvent.Action.UPDATE,
            changed_fields__contains=["feed_token"],
        ).order_by("id")
    )
    assert len(events) == 2
    assert all(e.changed_fields == ["feed_token"] and e.actor_email == "m@alpha.test" for e in events)
    assert not AuditEvent.objects.filter(object_label__contains=token).exists()
