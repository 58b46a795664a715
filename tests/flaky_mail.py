"""A mail backend whose server is down for the first `failures` sends, then delivers to
django.core.mail.outbox like the test backend."""

import smtplib
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend as LocMemBackend


class EmailBackend(LocMemBackend):
    failures = 0
    attempts = 0

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        EmailBackend.attempts += 1
        if EmailBackend.failures > 0:
            EmailBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)
