"""Patient statements: the practice's settings, monthly (or on-demand) runs, one statement per
patient and period, and each patient's collections state. Amounts in integer cents, copied from
the ledger when the statement is made (the ledger is the truth; a statement is what was sent)."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_noop


def validate_days_list(value: str) -> None:
    try:
        days = [int(part) for part in value.split(",") if part.strip()]
    except ValueError as error:
        raise ValidationError("Give days as numbers separated by commas, e.g. 30,60.") from error
    if any(day <= 0 or day > 365 for day in days) or days != sorted(set(days)):
        raise ValidationError("Give increasing days between 1 and 365, e.g. 30,60.")


class StatementSettings(models.Model):
    """The practice's statement rules. One row per practice schema (created with the defaults)."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    monthly_runs = models.BooleanField("Send statements every month", default=True)
    cycle_day = models.PositiveSmallIntegerField(
        "Day of the month statements are made",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
    )
    minimum_balance_cents = models.PositiveIntegerField(
        "Smallest balance that gets a statement (cents)", default=500
    )
    due_days = models.PositiveSmallIntegerField(
        "Days to pay", default=21, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    remit_to = models.TextField(
        "Remit-to address",
        blank=True,
        help_text="Where patients mail checks: name and address, one per line.",
    )
    billing_phone = models.CharField("Billing questions phone", max_length=20, blank=True)
    # Dunning, counted in days from the statement's date.
    reminder_days = models.CharField(
        "Reminders after (days)", max_length=40, default="30,60", validators=[validate_days_list]
    )
    final_notice_days = models.PositiveSmallIntegerField("Final notice after (days)", default=90)
    collections_days = models.PositiveSmallIntegerField(
        "Send to collections after (days, 0: only by hand)", default=120
    )
    # Payment plans the patient may set up in the portal (staff may go beyond them).
    plan_max_installments = models.PositiveSmallIntegerField(
        "Most installments", default=6, validators=[MinValueValidator(2), MaxValueValidator(36)]
    )
    plan_min_installment_cents = models.PositiveIntegerField("Smallest installment (cents)", default=2500)

    class Meta:
        verbose_name_plural = "statement settings"

    def __str__(self) -> str:
        return "Statement settings"

    @property
    def reminder_day_list(self) -> list[int]:
        return [int(part) for part in self.reminder_days.split(",") if part.strip()]

    def clean(self) -> None:
        reminders = self.reminder_day_list if self.reminder_days else []
        if reminders and self.final_notice_days <= reminders[-1]:
            raise ValidationError({"final_notice_days": "The final notice comes after the last reminder."})
        if self.collections_days and self.collections_days <= self.final_notice_days:
            raise ValidationError({"collections_days": "Collections come after the final notice."})


class PatientAccount(models.Model):
    """A patient's statement preferences and collections state (one row per patient, made when
    first needed). Sent to collections: no more statements nor messages, and the chart says so."""

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.PROTECT, related_name="statement_account"
    )
    paper_statements = models.BooleanField("Wants paper statements", default=False)
    collections_at = models.DateTimeField(null=True, blank=True)
    collections_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Statement account of {self.patient_id}"


def _batch_path(instance: models.Model, filename: str) -> str:
    return f"statements/print/{instance.pk}.pdf"


class StatementRun(models.Model):
    """One making of statements for a period (a month, named by its first day)."""

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", "Monthly"
        ON_DEMAND = "on_demand", "On demand"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    period = models.DateField(help_text="The first day of the month the statements are for.")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    statement_count = models.PositiveIntegerField(default=0)
    total_cents = models.BigIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True, help_text="Every PDF rendered.")
    # The paper statements of the run in one PDF, each page's address placed for a window envelope.
    print_batch = models.FileField(upload_to=_batch_path, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["period"],
                condition=models.Q(trigger="scheduled"),
                name="one_scheduled_statement_run_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"Statements for {self.period:%B %Y} ({self.get_trigger_display()})"


def _pdf_path(instance: models.Model, filename: str) -> str:
    # Under the practice's own folder (the storage prefixes the schema); served only by views
    # that found the statement in the practice's schema.
    return f"statements/{instance.pk}.pdf"


class Statement(models.Model):
    """What one patient was told they owe for one period. A rerun of the period makes none: the
    database refuses a second (patient, period)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        ON_PLAN = "on_plan", "On a payment plan"
        COLLECTIONS = "collections", "Sent to collections"
        SUPERSEDED = "superseded", "Replaced by a newer statement"

    class Delivery(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"
        PAPER = "paper", "Paper"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    run = models.ForeignKey(StatementRun, on_delete=models.PROTECT, related_name="statements")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="statements")
    period = models.DateField()
    statement_date = models.DateField()
    due_date = models.DateField()
    # The ledger lines shown are those posted in (since, cutoff]; since: the previous statement's cutoff.
    since = models.DateTimeField(null=True, blank=True)
    cutoff = models.DateTimeField()
    previous_balance_cents = models.BigIntegerField(default=0)
    amount_due_cents = models.BigIntegerField()
    aging_current_cents = models.BigIntegerField(default=0)
    aging_31_60_cents = models.BigIntegerField(default=0)
    aging_61_90_cents = models.BigIntegerField(default=0)
    aging_over_90_cents = models.BigIntegerField(default=0)
    pay_link = models.ForeignKey(
        "billing.PayLink", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pdf = models.FileField(upload_to=_pdf_path, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    delivery = models.CharField(max_length=5, choices=Delivery.choices, blank=True)
    status = models.CharField(max_length=11, choices=Status.choices, default=Status.OPEN)
    # Dunning: the last step sent (0: none), and when the next one is due (None: no more).
    dunning_step = models.PositiveSmallIntegerField(default=0)
    next_dunning_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-statement_date", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "period"], name="one_statement_per_patient_period"),
            models.CheckConstraint(condition=models.Q(amount_due_cents__gt=0), name="statement_amount_due"),
        ]
        indexes = [
            models.Index(
                fields=["next_dunning_at"],
                name="statement_dunning_due",
                condition=models.Q(status="open", next_dunning_at__isnull=False),
            ),
            models.Index(fields=["patient", "-statement_date"], name="statement_patient_latest"),
        ]

    def __str__(self) -> str:
        return f"Statement {self.reference} for {self.period:%B %Y}"

    @property
    def reference(self) -> str:
        """The number printed on the statement and asked for on a check."""
        return f"{self.period:%Y%m}-{str(self.pk)[:8].upper()}"

    @property
    def aging(self) -> list[tuple[str, int]]:
        return [
            (gettext_noop("0-30 days"), self.aging_current_cents),
            (gettext_noop("31-60 days"), self.aging_31_60_cents),
            (gettext_noop("61-90 days"), self.aging_61_90_cents),
            (gettext_noop("Over 90 days"), self.aging_over_90_cents),
        ]


class PaymentPlan(models.Model):
    """What a patient owes, paid in monthly installments charged to their saved card on the
    practice's Connect account. While it is active, dunning stops."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Paid off"
        DEFAULTED = "defaulted", "Stopped: installments failed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="payment_plans")
    total_cents = models.BigIntegerField()
    installment_count = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    set_up_by_patient = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(status="active"), name="one_active_plan_per_patient"
            ),
            models.CheckConstraint(condition=models.Q(total_cents__gt=0), name="plan_total_positive"),
        ]

    def __str__(self) -> str:
        return f"Payment plan of {self.installment_count} installments ({self.get_status_display()})"


class Installment(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="installments")
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    amount_cents = models.PositiveIntegerField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.SCHEDULED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When it is next charged (the due date's work hour, then each retry).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    payment = models.ForeignKey(
        "billing.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_installment_per_number")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="installment_due", condition=models.Q(status="scheduled")
            )
        ]

    def __str__(self) -> str:
        return f"Installment {self.number} ({self.get_status_display()})"
