"""The SMS that a secure message from the care team is waiting: planned as a notification row with
the reply, sent by the notification workers through Twilio (contract mock), never carrying the
message or a clinical word; consent, STOP and quiet hours honoured; at most one per unread batch
and per window."""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from notifications.content import compose
from notifications.delivery import send_due
from notifications.message_notices import plan_new_message_notice
from notifications.models import Channel, Kind, Notification, SmsOptOut
from notifications.policy import current_policy
from practica.accounts.models import User
from practica.accounts.roles import Role
from practica.core.links import practice_url
from practica.messaging import services
from practica.messaging.models import Thread
from practica.patients.models import PatientProfile
from tests.conftest import signed_in_client, staff
from tests.factories import Clinic
from tests.notifications.conftest import NEW_YORK, local
from tests.notifications.fake_twilio import fake_twilio

State = Notification.State
pytestmark = pytest.mark.usefixtures("use_twilio")
REPLY = "Your potassium is high, stop the spironolactone"


@pytest.fixture
def nurse(alpha: Clinic) -> User:
    return staff(alpha.practice, Role.FRONT_DESK)


@pytest.fixture
def thread(alpha: Clinic) -> Thread:
    """Maria wrote to the practice; she allows SMS. Quiet hours off, unless a test turns them on."""
    PatientProfile.objects.update_or_create(patient=alpha.patient, defaults={"sms_consent": True})
    policy = current_policy()
    policy.quiet_start = policy.quiet_end
    policy.save()
    return services.start_thread(alpha.patient, "Question about my lab results")


def reply(thread: Thread, nurse: User, body: str = REPLY) -> None:
    services.post_staff_reply(thread, nurse, Role.FRONT_DESK, body)


def notices(thread: Thread, channel: str = Channel.SMS) -> list[Notification]:
    """The thread's notices by SMS (or by email: planned beside them)."""
    rows = Notification.objects.filter(thread=thread, kind=Kind.NEW_MESSAGE, channel=channel)
    return list(rows.order_by("created_at"))


def test_a_care_team_reply_sends_one_sms_through_twilio_saying_only_that_there_is_a_message(
    alpha: Clinic, nurse: User, thread: Thread
) -> None:
    reply(thread, nurse)
    [notice] = notices(thread)
    assert notice.state == State.SCHEDULED and notice.due_at <= timezone.now()
    text = compose(notice).text
    link = practice_url(alpha.practice.slug, f"/portal/messages/{thread.pk}/")
    assert text == f"Alpha Clinic: you have a new secure message. Sign in to read it: {link}"
    for word in ("potassium", "spironolactone", "lab", "results", "Maria"):
        assert word not in text
    assert send_due() == 2  # the SMS, and the email beside it
    notice.refresh_from_db()
    assert notice.state == State.SENT, (notice.error_code, notice.error_message)
    assert notice.provider_message_id.startswith("SM") and notice.to_address == "+15552010001"


def test_a_spanish_speaking_patient_gets_it_in_spanish(alpha: Clinic, nurse: User, thread: Thread) -> None:
    PatientProfile.objects.filter(patient=alpha.patient).update(preferred_language="es")
    reply(thread, nurse)
    [notice] = notices(thread)
    assert compose(notice).text.startswith("Alpha Clinic: tiene un nuevo mensaje seguro. Inicie sesión")


def test_no_flood_one_notice_per_unread_batch_and_per_window(nurse: User, thread: Thread) -> None:
    reply(thread, nurse)
    reply(thread, nurse, "And one more thing")
    assert len(notices(thread)) == 1  # still unread: she has been told
    services.mark_read_by_patient(thread)
    reply(thread, nurse, "Another reply")
    assert len(notices(thread)) == 1  # read, but the last notice is minutes old
    earlier = timezone.now() - datetime.timedelta(minutes=16)
    Notification.objects.filter(thread=thread).update(created_at=earlier)
    Thread.objects.filter(pk=thread.pk).update(patient_read_at=earlier - datetime.timedelta(minutes=1))
    reply(thread, nurse, "Unread since the last notice")
    assert len(notices(thread)) == 1  # the window has passed, but she has not read since
    services.mark_read_by_patient(thread)
    reply(thread, nurse, "Read, and the window has passed")
    assert len(notices(thread)) == 2


def test_notes_and_the_patients_own_messages_send_no_notice(
    alpha: Clinic, nurse: User, thread: Thread
) -> None:
    services.add_internal_note(thread, nurse, Role.FRONT_DESK, "called the lab")
    services.post_patient_message(thread, alpha.patient, "Any news?")
    assert notices(thread) == []


def test_without_sms_consent_or_a_phone_nothing_is_sent(alpha: Clinic, nurse: User, thread: Thread) -> None:
    PatientProfile.objects.filter(patient=alpha.patient).update(sms_consent=False)
    reply(thread, nurse)
    [notice] = notices(thread)
    assert (notice.state, notice.error_code) == (State.SKIPPED, "no_consent")

    alpha.patient.phone = ""
    alpha.patient.save()
    PatientProfile.objects.filter(patient=alpha.patient).update(sms_consent=True)
    other = services.start_thread(alpha.patient, "Another question")
    reply(other, nurse)
    [notice] = notices(other)
    assert (notice.state, notice.error_code) == (State.SKIPPED, "no_phone")


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        (lambda setup: SmsOptOut.objects.create(phone="+15552010001", keyword="STOP"), "opted_out"),
        (
            lambda setup: PatientProfile.objects.filter(patient=setup.patient).update(sms_consent=False),
            "no_consent",
        ),
    ],
    ids=["stop-after-planning", "consent-withdrawn-after-planning"],
)
def test_stop_and_withdrawn_consent_are_checked_again_at_sending(
    alpha: Clinic,
    nurse: User,
    thread: Thread,
    settings: Any,
    change: Callable[[Clinic], object],
    outcome: str,
) -> None:
    reply(thread, nurse)
    change(alpha)
    with fake_twilio() as twilio:
        settings.TWILIO_API_BASE = twilio.url
        send_due()
    [notice] = notices(thread)
    assert (notice.state, notice.error_code) == (State.SKIPPED, outcome)
    assert twilio.requests == []


def test_a_notice_read_before_it_went_out_is_cancelled(nurse: User, thread: Thread, settings: Any) -> None:
    reply(thread, nurse)
    services.mark_read_by_patient(thread)
    with fake_twilio() as twilio:
        settings.TWILIO_API_BASE = twilio.url
        send_due()
    [notice] = notices(thread)
    assert (notice.state, notice.error_code) == (State.CANCELLED, "already_read")
    assert twilio.requests == []


def test_quiet_hours_hold_the_notice_until_morning(alpha: Clinic, thread: Thread) -> None:
    policy = current_policy()
    policy.quiet_start, policy.quiet_end = datetime.time(21, 0), datetime.time(8, 0)
    policy.save()
    late = local(0, 23)
    notice = plan_new_message_notice(thread, now=late)
    assert notice is not None and notice.state == State.SCHEDULED
    assert notice.due_at.astimezone(NEW_YORK) == local(1, 8)
    send_due(now=late + datetime.timedelta(minutes=30))  # claimed in quiet hours: held back again
    notice.refresh_from_db()
    assert notice.state == State.SCHEDULED and notice.due_at.astimezone(NEW_YORK) == local(1, 8)


def test_the_notice_is_in_the_delivery_log_and_its_wording_is_not_editable(
    alpha: Clinic, nurse: User, thread: Thread
) -> None:
    reply(thread, nurse)
    owner = signed_in_client(staff(alpha.practice, Role.OWNER), alpha.practice)
    log = owner.get("/notifications/log/")
    assert log.status_code == 200 and b"New secure message notice" in log.content
    assert b"new_message" not in owner.get("/notifications/templates/").content
    assert owner.get("/notifications/templates/new_message/sms/en/").status_code == 404


def test_the_email_notice_says_only_that_there_is_a_message_once_per_unread_batch(
    alpha: Clinic, nurse: User, thread: Thread
) -> None:
    reply(thread, nurse)
    reply(thread, nurse, "And one more thing")
    assert len(notices(thread, Channel.EMAIL)) == 1  # unread: she has been told
    send_due()
    [sent] = [m for m in mail.outbox if m.to == ["maria@example.com"]]
    link = practice_url(alpha.practice.slug, f"/portal/messages/{thread.pk}/")
    assert sent.subject == "New secure message" and link in sent.body
    for word in ("potassium", "spironolactone", "lab", "results", "one more thing"):
        assert word not in sent.body and word not in sent.subject
    services.mark_read_by_patient(thread)
    reply(thread, nurse, "Read since: a new batch")
    assert len(notices(thread, Channel.EMAIL)) == 2


def test_an_email_notice_read_before_it_went_out_is_cancelled(nurse: User, thread: Thread) -> None:
    reply(thread, nurse)
    services.mark_read_by_patient(thread)
    send_due()
    [notice] = notices(thread, Channel.EMAIL)
    assert (notice.state, notice.error_code) == (State.CANCELLED, "already_read")
    assert mail.outbox == []
