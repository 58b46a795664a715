"""Email reminders through Django's SMTP backend to a real SMTP server on loopback (aiosmtpd)."""

import email
import socket
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from notifications.delivery import send_due
from notifications.models import Channel, Notification
from tests.factories import Clinic
from tests.notifications.conftest import local
from tests.notifications.test_delivery import make_due, midday


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        content = envelope.content  # type: ignore[attr-defined]
        message = email.message_from_bytes(content if isinstance(content, bytes) else content.encode())
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def smtp_inbox(settings: object) -> Iterator[Inbox]:
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST = "127.0.0.1"  # type: ignore[attr-defined]
    settings.EMAIL_PORT = port  # type: ignore[attr-defined]
    try:
        yield inbox
    finally:
        controller.stop()


def test_an_email_reminder_reaches_the_smtp_server_as_text_and_html(alpha: Clinic, smtp_inbox: Inbox) -> None:
    from notifications.policy import current_policy

    policy = current_policy()
    policy.email_from = "frontdesk@alpha.example"
    policy.save()
    [row] = make_due(alpha, Channel.EMAIL)
    send_due(now=midday())
    row.refresh_from_db()
    assert row.state == Notification.State.SENT
    [(sender, recipients, message)] = smtp_inbox.messages
    assert (sender, recipients) == ("frontdesk@alpha.example", ["maria@example.com"])
    parts = {
        part.get_content_type(): bytes(part.get_payload(decode=True)).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    # A confirmation: text, HTML and the calendar file, none naming the visit's type.
    assert set(parts) == {"text/plain", "text/html", "text/calendar"}
    assert "Alpha Clinic" in parts["text/plain"]
    assert all("Diabetes" not in body for body in parts.values())
    assert local(1, 14).strftime("%B") in parts["text/plain"]


def test_an_unreachable_smtp_server_is_retried(alpha: Clinic, settings: object) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # type: ignore[attr-defined]
    [row] = make_due(alpha, Channel.EMAIL)
    send_due(now=midday())
    row.refresh_from_db()
    assert (row.state, row.error_code) == (Notification.State.SCHEDULED, "smtp")
