from django.db import models

from tenants.models import Practice


class PracticeDueWork(models.Model):
    """When a practice next has a notification due. The beat tick reads only rows due now,
    through the index on next_due_at, so its cost follows the due work, not the practice count.

    Written in the same transaction as the practice's notification rows (the tenant schema's
    search_path includes public), so the index never misses committed work."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="due_work")
    schema_name = models.CharField(max_length=63)
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.schema_name} due {self.next_due_at}"


class PracticeSmsRoute(models.Model):
    """A practice's own Twilio account: its Messaging Service (so a patient's STOP applies to that
    practice only) and sender. Inbound webhooks find the practice here from the receiving
    Messaging Service or number, then check the signature with this account's token."""

    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="sms_route")
    account_sid = models.CharField(max_length=34)
    auth_token_encrypted = models.TextField(help_text="Fernet token; see notifications.crypto.")
    messaging_service_sid = models.CharField(max_length=34, blank=True)
    from_number = models.CharField(max_length=16, blank=True, help_text="E.164 sender number.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["messaging_service_sid"],
                condition=~models.Q(messaging_service_sid=""),
                name="one_practice_per_messaging_service",
            ),
            models.UniqueConstraint(
                fields=["from_number"], condition=~models.Q(from_number=""), name="one_practice_per_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice} via {self.messaging_service_sid or self.from_number}"


class AccountEmail(models.Model):
    """An email to a person about their own login (an authenticator added or removed), in the
    outbox: written in the same transaction as the change it reports, sent by the workers
    (notifications.account_emails), retried while the mail server is down.

    In the public schema because a staff login belongs to no one practice; a patient's comes from
    the practice they belong to, which is named for the delivery log. The text is rendered when
    the row is written (in the person's language): it carries nothing clinical."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    to_address = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    practice_schema = models.CharField(max_length=63, blank=True, help_text="Empty: a staff login.")
    state = models.CharField(max_length=9, choices=State.choices, default=State.SCHEDULED)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"],
                name="account_email_due",
                condition=models.Q(state__in=["scheduled", "sending"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to_address} ({self.state})"
