"""The outbox of emails about a person's own login: sent by the workers once committed, retried
while the mail server is down, claimed once however many workers sweep, a dead worker's claim
taken over."""

import datetime
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from notifications import account_emails
from notifications.account_emails import queue_account_email, send_due_account_emails
from notifications.routing.models import AccountEmail

NOW = datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)
State = AccountEmail.State


@pytest.fixture
def queued(db: None) -> AccountEmail:
    mail.outbox.clear()
    return queue_account_email(to="person@example.com", subject="Hello", body="Body", now=NOW)


def test_a_queued_email_is_sent_once_by_the_workers(queued: AccountEmail) -> None:
    assert mail.outbox == []
    assert send_due_account_emails(NOW - datetime.timedelta(seconds=1)) == 0  # not due yet
    assert send_due_account_emails(NOW) == 1
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [(["person@example.com"], "Hello", "Body")]
    assert send_due_account_emails(NOW + datetime.timedelta(hours=1)) == 0
    queued.refresh_from_db()
    assert queued.state == State.SENT and queued.sent_at == NOW and queued.attempts == 1


def test_the_commit_queues_the_sending_task(db: None, django_capture_on_commit_callbacks: object) -> None:
    with (
        mock.patch("notifications.tasks.send_account_emails.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),  # type: ignore[operator]
    ):
        queue_account_email(to="person@example.com", subject="Hi", body="B", now=NOW)
    delay.assert_called_once_with()


def test_a_mail_server_error_is_retried_later_then_given_up(queued: AccountEmail) -> None:
    with mock.patch.object(account_emails, "send_mail", side_effect=ConnectionRefusedError("down")):
        assert send_due_account_emails(NOW) == 0
        queued.refresh_from_db()
        assert queued.state == State.SCHEDULED and queued.attempts == 1 and "down" in queued.error_message
        assert queued.due_at == NOW + account_emails.retry_delay(1)
        assert send_due_account_emails(NOW) == 0  # not due again yet
        for _ in range(account_emails.MAX_ATTEMPTS - 1):
            queued.refresh_from_db()
            send_due_account_emails(queued.due_at)
    queued.refresh_from_db()
    assert queued.state == State.FAILED and queued.attempts == account_emails.MAX_ATTEMPTS
    assert send_due_account_emails(timezone.now() + datetime.timedelta(days=30)) == 0
    assert mail.outbox == []


def test_a_claim_is_taken_once_and_a_dead_workers_claim_taken_over(queued: AccountEmail) -> None:
    assert [row.pk for row in account_emails.claim_due(NOW)] == [queued.pk]
    assert account_emails.claim_due(NOW) == []  # another worker sweeping now finds nothing
    later = NOW + account_emails.STALE_CLAIM
    assert [row.pk for row in account_emails.claim_due(later)] == [queued.pk]
    assert send_due_account_emails(later + account_emails.STALE_CLAIM) == 1
