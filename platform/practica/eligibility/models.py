"""Eligibility checks of patients' coverages (270 sent, 271 read) and the practice's settings for them."""

import uuid

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q


class EligibilitySettings(models.Model):
    """One row per practice: how long a check's result is taken as current."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    freshness_hours = models.PositiveIntegerField(
        default=72,
        validators=[MinValueValidator(1)],
        help_text="A result older than this shows as stale and is checked again before a visit.",
    )
    # The practice's real-time clearinghouse (CAQH CORE over HTTPS); empty: checks are not sent.
    realtime_url = models.URLField(blank=True)
    realtime_sender_id = models.CharField(max_length=15, blank=True)
    realtime_receiver_id = models.CharField(max_length=15, blank=True)

    class Meta:
        verbose_name_plural = "eligibility settings"
        constraints = [
            models.CheckConstraint(condition=Q(freshness_hours__gte=1), name="eligibility_freshness_positive")
        ]

    def __str__(self) -> str:
        return f"Eligibility results are fresh for {self.freshness_hours} hours"


class Status(models.TextChoices):
    PENDING = "pending", "Checking"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    NOT_FOUND = "not_found", "Not found"
    UNVERIFIED = "unverified", "Could not verify"


class Trigger(models.TextChoices):
    BOOKING = "booking", "At booking"
    NIGHTLY = "nightly", "Nightly, before the visit"
    CHECK_IN = "check_in", "At check-in"
    MANUAL = "manual", "On demand"


class EligibilityCheck(models.Model):
    """One inquiry about one coverage and what the payer answered (kept as history: the latest per
    coverage is the current one). Amounts in cents, for the service type asked about the visit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    coverage = models.ForeignKey(
        "insurance.Coverage", on_delete=models.CASCADE, related_name="eligibility_checks"
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="eligibility_checks",
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    service_types = models.JSONField(default=list)
    service_date = models.DateField()
    requested_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=300, blank=True)
    next_step = models.CharField(max_length=300, blank=True)
    plan_name = models.CharField(max_length=80, blank=True)
    group_name = models.CharField(max_length=80, blank=True)
    group_number = models.CharField(max_length=50, blank=True)
    service_type = models.CharField(max_length=2, blank=True)
    copay_cents = models.IntegerField(null=True, blank=True)
    coinsurance_percent = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    deductible_cents = models.IntegerField(null=True, blank=True)
    deductible_remaining_cents = models.IntegerField(null=True, blank=True)
    out_of_pocket_cents = models.IntegerField(null=True, blank=True)
    out_of_pocket_remaining_cents = models.IntegerField(null=True, blank=True)
    # The same amounts out of network: {"copay_cents": ..., ...}; in network above.
    out_of_network = models.JSONField(default=dict, blank=True)
    messages = models.JSONField(default=list, blank=True)
    trace_number = models.CharField(max_length=50, blank=True)
    # The 271 as received, encrypted (eligibility.crypto): PHI, shown only through an audited read.
    raw_271_encrypted = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["coverage", "-requested_at"], name="elig_check_coverage_idx"),
            models.Index(fields=["appointment", "-requested_at"], name="elig_check_appointment_idx"),
        ]

    def __str__(self) -> str:
        return f"Eligibility check of coverage {self.coverage_id}: {self.get_status_display()}"
