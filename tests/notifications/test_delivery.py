"""Sending what is due: Twilio (contract mock and error answers), email, retries, opt-out."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from notifications.delivery import MAX_ATTEMPTS, claim_due, send_due
from notifications.models import Channel, Kind, Notification, SmsOptOut
from notifications.routing.models import PracticeDueWork
from notifications.tasks import due_practices, tick
from tenants.models import Practice
from tests.factories import Clinic
from tests.notifications.conftest import local
from tests.notifications.fake_twilio import fake_twilio

State = Notification.State
pytestmark = pytest.mark.usefixtures("use_twilio")


def make_due(alpha: Clinic, channel: str | None = None) -> list[Notification]:
    """Book an appointment for tomorrow afternoon and make its confirmation due just before midday
    (the moment the tests send at, whatever the wall clock says)."""
    appointment = alpha.book(local(1, 14))
    rows = Notification.objects.filter(appointment=appointment, kind=Kind.CONFIRMATION)
    if channel:
        rows.exclude(channel=channel).update(state=State.CANCELLED)
        rows = rows.filter(channel=channel)
    Notification.objects.filter(appointment=appointment, kind=Kind.REMINDER).update(state=State.CANCELLED)
    rows.update(due_at=midday() - datetime.timedelta(minutes=1))
    return list(rows)


def midday() -> datetime.datetime:
    """A moment outside quiet hours in New York, today."""
    return local(0, 12)


def test_due_sms_goes_through_the_twilio_contract_mock(alpha: Clinic) -> None:
    [row] = make_due(alpha, Channel.SMS)
    assert send_due(now=midday()) == 1
    row.refresh_from_db()
    assert row.state == State.SENT, (row.error_code, row.error_message)
    assert row.provider_message_id.startswith("SM")
    assert row.to_address == "+15552010001"
    assert row.attempts == 1


def test_due_email_is_sent_with_text_and_html_and_marked_sent(alpha: Clinic) -> None:
    [row] = make_due(alpha, Channel.EMAIL)
    send_due(now=midday())
    row.refresh_from_db()
    assert row.state == State.SENT
    [message] = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.to == ["maria@example.com"]
    assert "Alpha Clinic" in message.body
    assert "Diabetes" not in f"{message.body} {message.subject} {message.alternatives}"
    assert message.alternatives[0][1] == "text/html"


def test_each_message_costs_one_query_beyond_a_fixed_set_per_batch(alpha: Clinic) -> None:
    """The send path's queries are pinned: policy, SMS account, wording, languages and opt-outs are
    read once per claimed batch; a message adds only the UPDATE that records its outcome."""
    [row] = make_due(alpha, Channel.SMS)

    def queries_to_send() -> int:
        with CaptureQueriesContext(connection) as queries:
            send_due(now=midday())
        # django-tenants sets the search_path before each statement; only the statements count here.
        return sum(not q["sql"].startswith("SET search_path") for q in queries.captured_queries)

    one = queries_to_send()
    rows = Notification.objects.bulk_create(
        Notification(
            appointment_id=row.appointment_id, kind=Kind.REMINDER, channel=Channel.SMS, due_at=row.due_at
        )
        for _ in range(4)
    )
    four = queries_to_send()
    # Claim 5 (savepoints included), batch reads 6, outcome 1, empty claim 3, due-work index 6.
    assert one == 21
    assert four == one + 3
    assert Notification.objects.filter(pk__in=[r.pk for r in rows], state=State.SENT).count() == 4


def test_opted_out_numbers_get_nothing(alpha: Clinic, settings: object) -> None:
    SmsOptOut.objects.create(phone="+15552010001", keyword="STOP")
    [row] = make_due(alpha, Channel.SMS)
    with fake_twilio() as twilio:
        settings.TWILIO_API_BASE = twilio.url  # type: ignore[attr-defined]
        send_due(now=midday())
    row.refresh_from_db()
    assert (row.state, row.error_code) == (State.SKIPPED, "opted_out")
    assert twilio.requests == []


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_outages_are_retried_with_backoff(
    alpha: Clinic, settings: object, status: int
) -> None:
    [row] = make_due(alpha, Channel.SMS)
    with fake_twilio() as twilio:
        settings.TWILIO_API_BASE = twilio.url  # type: ignore[attr-defined]
        twilio.reply(status, code=20429 if status == 429 else None)
        before = midday()
        send_due(now=midday())
        row.refresh_from_db()
        assert row.state == State.SCHEDULED
        assert row.error_code
        assert row.due_at >= before + datetime.timedelta(seconds=29)
        # The index points at the retry, so the next tick comes back for it.
        assert PracticeDueWork.objects.get(practice=alpha.practice).next_due_at == row.due_at
        twilio.reply(201)
        send_due(now=row.due_at)
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.SENT, 2)
    assert len(twilio.requests) == 2


def test_network_errors_are_retried(alpha: Clinic, settings: object) -> None:
    settings.TWILIO_API_BASE = "http://127.0.0.1:9"  # type: ignore[attr-defined]  # nothing listens
    [row] = make_due(alpha, Channel.SMS)
    send_due(now=midday())
    row.refresh_from_db()
    assert (row.state, row.error_code) == (State.SCHEDULED, "network")


def test_retries_stop_after_the_last_attempt(alpha: Clinic, settings: object) -> None:
    [row] = make_due(alpha, Channel.SMS)
    Notification.objects.filter(pk=row.pk).update(attempts=MAX_ATTEMPTS - 1)
    with fake_twilio() as twilio:
        settings.TWILIO_API_BASE = twilio.url  # type: ignore[attr-defined]
        twilio.reply(503)
        send_due(now=midday())
    row.refresh_from_db()
    assert (row.state, row.attempts) == (State.FAILED, MAX_ATTEMPTS)


@pytest.mark.parametrize(("code", "opted_out"), [(21610, True), (21211, False), (21614, False)])
def test_permanent_errors_are_recorded_not_retried(
    alpha: Clinic, settings: object, code: int, opted_out: bool
) -> None:
    [row] = make_due(alpha, Channel.SMS)
    with fake_twilio() as twilio:
        settings.TWILIO_API_BASE = twilio.url  # type: ignore[attr-defined]
        twilio.reply(400, code=code)
        send_due(now=midday())
    row.refresh_from_db()
    assert (row.state, row.error_code, row.attempts) == (State.FAILED, str(code), 1)
    assert SmsOptOut.objects.filter(phone="+15552010001").exists() is opted_out
    assert len(twilio.requests) == 1


def test_nothing_is_sent_for_an_appointment_cancelled_after_the_claim(alpha: Clinic) -> None:
    [row] = make_due(alpha, Channel.SMS)
    Notification.objects.filter(pk=row.pk).update(kind=Kind.REMINDER)
    [claimed] = claim_due(now=midday())
    assert claimed.appointment is not None
    claimed.appointment.status = "cancelled_practice"
    from notifications.delivery import deliver

    deliver(claimed, now=midday())
    row.refresh_from_db()
    assert row.state == State.CANCELLED


def test_sms_held_in_quiet_hours_at_send_time_moves_to_the_morning(alpha: Clinic) -> None:
    [row] = make_due(alpha, Channel.SMS)
    late_evening = local(0, 22)
    Notification.objects.filter(pk=row.pk).update(due_at=late_evening - datetime.timedelta(minutes=1))
    send_due(now=late_evening)
    row.refresh_from_db()
    assert (row.state, row.due_at) == (State.SCHEDULED, local(1, 8))


def test_a_tick_only_picks_practices_with_work_due(alpha: Clinic) -> None:
    make_due(alpha, Channel.SMS)
    with schema_context("public"):
        assert Practice.objects.exists()  # the beat runs in the public schema; search_path now set
        with CaptureQueriesContext(connection) as queries:
            schemas = due_practices()
        # One statement on the public index (django-tenants may first set the search_path).
        statements = [
            q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET search_path")
        ]
        assert len(statements) == 1
        assert schemas == [alpha.practice.schema_name]
        assert due_practices() == []  # leased until the worker reports back


def test_the_beat_tick_hands_each_due_practice_to_a_tenant_task(alpha: Clinic) -> None:
    # The tick and its task read the clock themselves: the whole test happens at midday in New York
    # (the booking too, so the due-work index it leaves points at or before midday).
    with time_machine.travel(midday(), tick=False):
        [row] = make_due(alpha, Channel.EMAIL)
        with schema_context("public"):
            assert tick() == 1  # eager in tests: the task runs now, in alpha's schema (from its headers)
    row.refresh_from_db()
    assert row.state == State.SENT
    assert len(mail.outbox) == 1
