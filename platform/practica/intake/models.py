"""A practice's intake packets (what to ask before an appointment type) and each appointment's
answers, signatures and documents. Everything lives in the practice schema."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from practica.intake.uploads import extension_for


class IntakePacket(models.Model):
    """What a patient fills in before one appointment type."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appointment_type = models.OneToOneField(
        "scheduling.AppointmentType", on_delete=models.CASCADE, related_name="intake_packet"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Intake for {self.appointment_type}"


class IntakeItem(models.Model):
    """One thing the packet asks for: a question, a consent to sign or a document to upload."""

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        CONSENT = "consent", "Consent to sign"
        DOCUMENT = "document", "Document to upload"

    class FieldType(models.TextChoices):
        SHORT_TEXT = "short_text", "Short text"
        LONG_TEXT = "long_text", "Long text"
        YES_NO = "yes_no", "Yes or no"
        SINGLE_CHOICE = "single_choice", "One choice from a list"
        DATE = "date", "Date"
        NUMBER = "number", "Number"

    class DocumentKind(models.TextChoices):
        PHOTO_ID = "photo_id", "Photo ID"
        INSURANCE_FRONT = "insurance_front", "Insurance card (front)"
        INSURANCE_BACK = "insurance_back", "Insurance card (back)"
        REFERRAL = "referral", "Referral letter"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    packet = models.ForeignKey(IntakePacket, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    required = models.BooleanField(default=True)
    field_type = models.CharField(max_length=15, choices=FieldType.choices, blank=True)
    # Single-choice questions: one option a line.
    choices = models.TextField(blank=True)
    document_kind = models.CharField(max_length=20, choices=DocumentKind.choices, blank=True)
    # Removing an item from a packet keeps it, so answers already given still read correctly.
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]

    def current_consent_text(self) -> "ConsentText | None":
        return self.consent_texts.order_by("-version").first()


class ConsentText(models.Model):
    """One version of a consent's wording. Never edited: a change of wording is a new version, so a
    signature always points at the exact text the patient read."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(IntakeItem, on_delete=models.PROTECT, related_name="consent_texts")
    version = models.PositiveIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "version"], name="consent_text_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item.label} (version {self.version})"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("A consent text is never changed once written; add a new version.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class IntakeSubmission(models.Model):
    """A patient's packet for one appointment, from first answer to the practice's review."""

    class Status(models.TextChoices):
        OPEN = "open", _("To fill in")
        SUBMITTED = "submitted", _("Waiting for review")
        NEEDS_ATTENTION = "needs_attention", _("Sent back to the patient")
        COMPLETE = "complete", _("Complete")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="intake_submission"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="intake_submissions"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by_id = models.BigIntegerField(
        null=True, blank=True, help_text="accounts.User id (public schema)"
    )

    class Meta:
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return f"Intake {self.pk} ({self.status})"


def _upload_path(instance: "IntakeResponse", filename: str) -> str:
    # A random name: the patient's own file name may say something clinical, and is kept apart.
    # Its extension is the type found in the content.
    extension = extension_for(instance.document_content_type)
    return f"intake/{instance.submission_id}/{uuid.uuid4().hex}.{extension}"


class IntakeResponse(models.Model):
    """The patient's answer to one item: a value, a signature or a document, and its review."""

    class Review(models.TextChoices):
        PENDING = "pending", "Not reviewed"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    submission = models.ForeignKey(IntakeSubmission, on_delete=models.CASCADE, related_name="responses")
    item = models.ForeignKey(IntakeItem, on_delete=models.PROTECT, related_name="responses")
    answer = models.TextField(blank=True)
    # Consents: who typed what name, when, from where, over which exact wording.
    consent_text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, null=True, blank=True)
    signed_name = models.CharField(max_length=200, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_ip = models.GenericIPAddressField(null=True, blank=True)
    # Documents: stored under MEDIA_ROOT/<schema>/ and served only through an authorised view.
    document = models.FileField(upload_to=_upload_path, blank=True)
    document_content_type = models.CharField(max_length=40, blank=True)
    document_name = models.CharField(max_length=200, blank=True)
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.PENDING)
    rejection_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "item"], name="intake_response_one_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.item.label}: {self.review}"
