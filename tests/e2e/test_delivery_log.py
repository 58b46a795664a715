"""The back office's delivery log, live, in a real browser: a member of staff has it open when Twilio
reports (a signed status callback to the practice's host) that a text was delivered, and the row
says so without a reload."""

import datetime
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import expect
from twilio.request_validator import RequestValidator

from notifications.models import Channel, Kind, Notification
from notifications.routing.models import PracticeSmsRoute
from notifications.services import save_sms_route
from practica.patients.models import Patient
from practica.scheduling.booking import book_appointment
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider
from tests.e2e.conftest import Server, Site, sign_in_staff
from tests.factories import PatientFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

TWILIO_TOKEN = "e2e-practice-twilio-token"
MESSAGE_SID = "SM" + "e5" * 16


@pytest.fixture(scope="module")
def sent_text(e2e_site: Site, django_db_blocker: Any) -> Iterator[Notification]:
    """A booking confirmation sent by SMS through the practice's own Twilio account, committed so
    that the server sees it. The account's routing row is public: removed afterwards."""
    with django_db_blocker.unblock(), tenant_context(e2e_site.practice):
        save_sms_route(
            account_sid="AC" + "f6" * 16,
            auth_token=TWILIO_TOKEN,
            messaging_service_sid="MG" + "a7" * 16,
            from_number="+15550009999",
        )
        patient: Patient = PatientFactory.create(
            first_name="Noor", last_name="Haddad", phone="(555) 201-0002"
        )
        start = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=40)
        appointment = book_appointment(
            patient=patient,
            appointment_type=AppointmentType.objects.get(name=e2e_site.visit_type),
            provider=Provider.objects.get(display_name=e2e_site.provider_name),
            location=Location.objects.get(name="Main clinic"),
            start=start,
            source=Appointment.Source.STAFF,
            override=True,
        ).appointment
        notification = Notification.objects.create(
            appointment=appointment,
            kind=Kind.CONFIRMATION,
            channel=Channel.SMS,
            due_at=timezone.now(),
            state=Notification.State.SENT,
            attempts=1,
            to_address="+15552010002",
            provider_message_id=MESSAGE_SID,
            sent_at=timezone.now(),
        )
    yield notification
    with django_db_blocker.unblock():
        PracticeSmsRoute.objects.filter(practice=e2e_site.practice).delete()


def _twilio_reports(server: Server, params: dict[str, str]) -> int:
    """Twilio's status callback: a form POST to the practice's host, signed with its auth token."""
    path = "/notifications/twilio/status/"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(server.base_url + path, params)
    host = urlsplit(server.base_url)
    request = urllib.request.Request(
        f"http://127.0.0.1:{host.port}{path}",
        data=urlencode(params).encode(),
        headers={"Host": host.netloc, "X-Twilio-Signature": signature},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (our own server)
        return int(answer.status)


def test_a_delivery_report_updates_the_open_log_without_a_reload(
    e2e_site: Site, server: Server, sent_text: Notification, new_context: Any
) -> None:
    page = new_context().new_page()
    sign_in_staff(page, server, e2e_site.staff_email)
    page.goto(f"{server.base_url}/notifications/log/")
    state = page.locator(f'[data-state-of="{sent_text.pk}"]')
    expect(state).to_have_text("Sent")
    # The page says when its socket is open: before that, a report would only show on a reload.
    expect(page.locator("#delivery-log"), "the live updates never connected").to_have_attribute(
        "data-live", "on"
    )
    page.evaluate("window.stillTheSamePage = true")

    assert _twilio_reports(server, {"MessageSid": MESSAGE_SID, "MessageStatus": "delivered"}) == 204

    expect(state, "the open log did not show the delivery").to_have_text("Delivered", timeout=5_000)
    assert page.evaluate("window.stillTheSamePage") is True
    with tenant_context(e2e_site.practice):
        assert Notification.objects.get(pk=sent_text.pk).state == Notification.State.DELIVERED
