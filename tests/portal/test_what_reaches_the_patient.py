"""A patient books, reschedules and cancels through the portal: every email and text that reaches
them is counted (the mail outbox and the Twilio stand-in's requests), after the workers have sent
the outbox. One confirmation, one moved notice and one cancellation notice per channel, nothing
from the requests themselves, and no clinical detail in any of them."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.test import Client

from notifications.delivery import send_due
from notifications.models import Kind, Notification
from portal.models import PortalAccount
from practica.scheduling.models import Appointment
from tenants.models import Practice
from tests.factories import Clinic
from tests.notifications.fake_twilio import FakeTwilio, fake_twilio
from tests.portal.conftest import make_account, portal_client


@pytest.fixture
def patient(clinic: Clinic) -> PortalAccount:
    return make_account("pat@example.org", first_name="Pat", phone="+15125550123")


@pytest.fixture
def twilio(settings: Any) -> Any:
    with fake_twilio() as fake:
        settings.TWILIO_API_BASE = fake.url
        settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
        settings.TWILIO_AUTH_TOKEN = "platform-token"
        settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "2" * 32
        yield fake


def texts(twilio: FakeTwilio) -> list[dict[str, list[str]]]:
    return [request for request in twilio.requests if "Body" in request]


def deliver(clinic: Clinic, days: int = 1) -> None:
    """The workers' pass, at 9:00 at the clinic (out of quiet hours, before the visits)."""
    send_due(now=clinic.local(days, 9))


def test_book_reschedule_cancel_each_reach_the_patient_once_per_channel(
    clinic: Clinic,
    patient: PortalAccount,
    practice_a: Practice,
    twilio: FakeTwilio,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client: Client = portal_client(patient, practice_a)
    start = clinic.local(5, 10)  # its 72-hour reminder is not due at tomorrow's pass, at any hour
    query = {
        "type": clinic.visit.pk,
        "location": clinic.location.pk,
        "provider": clinic.provider.pk,
        "start": start.isoformat(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/portal/book/confirm/?{urlencode(query)}").status_code == 302
    assert (mail.outbox, texts(twilio)) == ([], [])  # the request sends nothing itself
    deliver(clinic)
    assert [m.subject for m in mail.outbox] == ["Your appointment is booked"]
    assert len(texts(twilio)) == 1

    booked = Appointment.objects.get(patient=patient.patient)
    new_start = clinic.local(4, 15)
    reschedule = f"/portal/appointments/{booked.pk}/reschedule/confirm/?" + urlencode(
        {"provider": clinic.provider.pk, "start": new_start.isoformat()}
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reschedule).status_code == 302
    assert len(mail.outbox) == 1 and len(texts(twilio)) == 1
    deliver(clinic)
    assert [m.subject for m in mail.outbox[1:]] == ["Your appointment has moved"]
    assert len(texts(twilio)) == 2

    moved = Appointment.objects.get(rescheduled_from=booked)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/portal/appointments/{moved.pk}/cancel/", {"reason": "Better"})
    assert response.status_code == 302
    assert len(mail.outbox) == 2 and len(texts(twilio)) == 2
    deliver(clinic)
    # Reminders were planned and withdrawn with each change: none is due, none went out.
    deliver(clinic, days=5)
    assert [m.subject for m in mail.outbox[2:]] == ["Your appointment is cancelled"]
    sms_bodies = [request["Body"][0] for request in texts(twilio)]
    assert len(sms_bodies) == 3
    assert [request["To"][0] for request in texts(twilio)] == ["+15125550123"] * 3
    assert "booked" in sms_bodies[0] and "now on" in sms_bodies[1] and "cancelled" in sms_bodies[2]

    # The delivery log says the same: each notice sent once per channel.
    sent = Notification.objects.filter(state=Notification.State.SENT).values_list("kind", "channel")
    assert sorted(sent) == sorted(
        (kind, channel)
        for kind in (Kind.CONFIRMATION, Kind.RESCHEDULED, Kind.CANCELLED)
        for channel in ("email", "sms")
    )
    # No clinical detail: the visit's type never appears, in any body, subject or calendar file.
    everything = sms_bodies + [f"{m.subject} {m.body}" for m in mail.outbox]
    everything += [str(content) for m in mail.outbox for _, content, _ in m.attachments]
    assert not [text for text in everything if "Dermatology" in text]


def test_a_portal_booking_by_a_patient_with_email_only_gets_one_email(
    clinic: Clinic, practice_a: Practice, twilio: FakeTwilio
) -> None:
    account = make_account("solo@example.org", first_name="Sol", phone="")
    client = portal_client(account, practice_a)
    start = clinic.local(2, 11)
    query = urlencode(
        {
            "type": clinic.visit.pk,
            "location": clinic.location.pk,
            "provider": clinic.provider.pk,
            "start": start.isoformat(),
        }
    )
    assert client.post(f"/portal/book/confirm/?{query}").status_code == 302
    deliver(clinic)
    assert [m.to for m in mail.outbox] == [["solo@example.org"]]
    assert texts(twilio) == []
    skipped = Notification.objects.get(channel="sms", kind=Kind.CONFIRMATION)
    assert (skipped.state, skipped.error_code) == (Notification.State.SKIPPED, "no_phone")
