"""A practice's reminder settings, its message templates, and every planned notification.

PostgreSQL is the source of truth: each message the practice will send is a Notification row,
written in the same transaction as the booking change that caused it."""

import datetime
import uuid
from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

if TYPE_CHECKING:
    from practica.patients.models import Patient


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"


class Kind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    CONFIRMATION = "confirmation", "Booking confirmation"
    RESCHEDULED = "rescheduled", "Rescheduled notice"
    CANCELLED = "cancelled", "Cancellation notice"
    # A secure message from the care team is waiting in the portal: fixed wording, never its content.
    NEW_MESSAGE = "new_message", "New secure message notice"
    # A freed time offered to a waiting patient, with its claim link; and, to the others offered
    # it, that someone claimed it first.
    WAITLIST_OFFER = "waitlist_offer", "Waitlist offer"
    WAITLIST_TAKEN = "waitlist_taken", "Waitlist offer taken"
    # Staff reviewed the visit's forms and something is missing: never what, nor why.
    INTAKE_FOLLOW_UP = "intake_follow_up", "Forms follow-up"
    # A statement is in the portal; then reminders that it is unpaid, and a final notice. Fixed
    # wording with a portal link only: never an amount, a visit or anything clinical.
    STATEMENT_READY = "statement_ready", "Statement ready"
    STATEMENT_REMINDER = "statement_reminder", "Statement reminder"
    STATEMENT_FINAL = "statement_final", "Statement final notice"


# Kinds whose wording the practice may change; the others' stays fixed (no content, no clinical
# word can be put into them).
EDITABLE_KINDS = [Kind.REMINDER, Kind.CONFIRMATION, Kind.RESCHEDULED, Kind.CANCELLED]


class ReminderPolicy(models.Model):
    """The practice's reminder settings. One row per practice schema."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    confirm_on_booking = models.BooleanField(default=True)
    notify_on_reschedule = models.BooleanField(default=True)
    notify_on_cancel = models.BooleanField(default=True)
    # Channels used for confirmations and change notices (reminders each name their own).
    notice_channels = models.CharField(
        max_length=9, default="sms,email", help_text="sms, email or both (comma separated)."
    )
    default_language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    # No SMS in quiet hours, in the appointment location's time zone.
    quiet_start = models.TimeField(default=datetime.time(21, 0))
    quiet_end = models.TimeField(default=datetime.time(8, 0))
    # A reminder held back by quiet hours still goes out if this much time is left before the visit.
    min_useful_lead_minutes = models.PositiveIntegerField(default=60)
    email_from = models.EmailField(blank=True, help_text="Sender address; empty: the platform's.")
    contact_phone = models.CharField(max_length=20, blank=True, help_text="Given in HELP replies.")
    # Appointment types whose name may appear in messages ({appointment_type}); others say "appointment".
    safe_type_names = models.ManyToManyField("scheduling.AppointmentType", blank=True, related_name="+")

    class Meta:
        verbose_name_plural = "reminder policy"

    def __str__(self) -> str:
        return "Reminder policy"

    @property
    def notice_channel_list(self) -> list[str]:
        return [c for c in self.notice_channels.split(",") if c in Channel.values]


class ReminderRule(models.Model):
    """One reminder: how long before the appointment, and by which channel. Rules for an
    appointment type replace the practice-wide ones (those with no type) for that type."""

    offset_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(15), MaxValueValidator(60 * 24 * 30)],
        help_text="Minutes before the appointment, e.g. 1440 for 24 hours.",
    )
    channel = models.CharField(max_length=5, choices=Channel.choices)
    appointment_type = models.ForeignKey(
        "scheduling.AppointmentType", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["appointment_type_id", "-offset_minutes"]
        constraints = [
            models.UniqueConstraint(
                fields=["offset_minutes", "channel", "appointment_type"],
                name="one_reminder_rule_per_offset_channel",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        hours = self.offset_minutes / 60
        return f"{self.get_channel_display()} {hours:g} h before"


class MessageTemplate(models.Model):
    """The practice's wording of one kind of message, per channel and language.

    Bodies use {placeholders} from a fixed list (notifications.templating); nothing else is
    substituted, so no clinical detail can be pulled into a message."""

    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    language = models.CharField(max_length=2, choices=Language.choices)
    subject = models.CharField(max_length=150, blank=True, help_text="Email only.")
    body_text = models.TextField(help_text="SMS text, or the plain-text part of the email.")
    body_html = models.TextField(blank=True, help_text="Email only: the HTML part.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "channel", "language"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "channel", "language"], name="one_template_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_channel_display()} · {self.language}"


class Notification(models.Model):
    """One planned message to a patient about an appointment, a new secure message in a thread,
    a waitlist offer or a statement, and what became of it. Everything Practica says to a patient is one."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    thread = models.ForeignKey(
        "messaging.Thread", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    waitlist_offer = models.ForeignKey(
        "scheduling.WaitlistOffer", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    statement = models.ForeignKey(
        "statements.Statement", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    due_at = models.DateTimeField()
    state = models.CharField(max_length=9, choices=State.choices, default=State.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    to_address = models.CharField(max_length=254, blank=True)
    provider_message_id = models.CharField(max_length=64, blank=True, db_index=True)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    OPEN_STATES = (State.SCHEDULED,)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["due_at"], name="notification_due", condition=models.Q(state="scheduled")),
            models.Index(fields=["appointment", "state"], name="notification_appointment"),
            models.Index(
                fields=["thread", "-created_at"],
                name="notification_thread",
                condition=models.Q(thread__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(appointment__isnull=False)
                | models.Q(thread__isnull=False)
                | models.Q(waitlist_offer__isnull=False)
                | models.Q(statement__isnull=False),
                name="notification_about_something",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.get_channel_display()} at {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def patient(self) -> "Patient":
        if self.appointment is not None:
            return self.appointment.patient
        if self.waitlist_offer is not None:
            return self.waitlist_offer.entry.patient
        if self.statement is not None:
            return self.statement.patient
        assert self.thread is not None  # the check constraint: one of the four
        return self.thread.patient


class SmsOptOut(models.Model):
    """A phone number that sent STOP to this practice. Checked before every SMS."""

    phone = models.CharField(max_length=16, unique=True, help_text="E.164")
    keyword = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.phone


class InboundMessage(models.Model):
    """An SMS a patient sent to the practice, and what the product did with it."""

    class Handling(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed the appointment"
        CANCELLED = "cancelled", "Cancelled the appointment"
        RESCHEDULE_LINK = "reschedule_link", "Sent a reschedule link"
        OPTED_OUT = "opted_out", "Opted out"
        OPTED_IN = "opted_in", "Opted back in"
        HELP = "help", "Sent help"
        NEEDS_STAFF = "needs_staff", "Needs staff"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    from_phone = models.CharField(max_length=16)
    body = models.TextField()
    provider_message_id = models.CharField(max_length=64, blank=True)
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handling = models.CharField(max_length=15, choices=Handling.choices)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"SMS from {self.from_phone}"
