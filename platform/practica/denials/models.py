"""The denials work queue: one work item per denied line, zero-paid line or adjustment that is not
an ordinary outcome (contractual, patient responsibility), opened by the remittance posting
(practica.remittance) through `services.open_denial_items` and worked by billers."""

import uuid

from django.db import models
from django.db.models import Q

from practica.codesets.models import AdjustmentCategory


class DenialItem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESUBMITTED = "resubmitted", "Corrected and resubmitted"
        APPEALED = "appealed", "Appealed"
        WRITTEN_OFF = "written_off", "Written off"
        TRANSFERRED = "transferred", "Moved to the patient"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="denial_items")
    claim_line = models.ForeignKey(
        "claims.ClaimLine", null=True, blank=True, on_delete=models.PROTECT, related_name="denial_items"
    )
    payer = models.ForeignKey("insurance.Payer", on_delete=models.PROTECT, related_name="denial_items")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="denial_items")
    # What names the remittance row behind it, so opening the same denial twice opens one item.
    source_key = models.CharField(max_length=120, unique=True)
    # Adjustments as "GROUP-CARC" (CO-50) and remark codes (N130), as the payer sent them.
    reason_codes = models.JSONField(default=list, blank=True)
    remark_codes = models.JSONField(default=list, blank=True)
    category = models.CharField(max_length=30, choices=AdjustmentCategory.choices)
    amount_cents = models.BigIntegerField()
    denied_on = models.DateField()
    due_on = models.DateField()
    owner_id = models.BigIntegerField(null=True, blank=True, help_text="Staff user id.")
    status = models.CharField(max_length=11, choices=Status.choices, default=Status.OPEN)
    notes = models.TextField(blank=True)
    resolution = models.CharField(max_length=300, blank=True)
    corrected_claim = models.ForeignKey(
        "claims.Claim", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_by_id = models.BigIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gte=0), name="denial_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="denial_queue_idx"),
            models.Index(fields=["status", "category"], name="denial_category_idx"),
            models.Index(fields=["claim"], name="denial_claim_idx"),
        ]

    def __str__(self) -> str:
        return f"Denial {self.source_key}"


class AppealTemplate(models.Model):
    """The practice's appeal letter: text with {placeholders} (patient, claim, payer, codes...)."""

    singleton = models.BooleanField(default=True, unique=True)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Appeal letter template"


def _letter_path(instance: models.Model, filename: str) -> str:
    # Under the practice's own folder (the storage prefixes the schema); served only by the view
    # that found the letter in the practice's schema.
    return f"denials/appeals/{instance.pk}.pdf"


class AppealLetter(models.Model):
    """An appeal letter as it was generated for a denial, kept as the practice's file: what was
    sent to the payer can be read again whatever the template says later."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(DenialItem, on_delete=models.PROTECT, related_name="letters")
    pdf = models.FileField(upload_to=_letter_path)
    generated_by_id = models.BigIntegerField(null=True, blank=True, help_text="Staff user id.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Appeal letter {self.created_at:%Y-%m-%d %H:%M}" if self.created_at else "Appeal letter"
