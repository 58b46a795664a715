import uuid

from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from practica.patients.phones import PhoneNumberField


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        OTHER = "X", _("Other")
        UNKNOWN = "U", _("Unknown")

    # Random ids: nothing to learn from, or guess in, a patient's address.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    email = models.EmailField(blank=True)
    phone = PhoneNumberField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="patient_name_idx"),
            # Inbound texts find their patient by the number they came from.
            models.Index(fields=["phone"], name="patient_phone_idx"),
            # Likely duplicates (practica.patients.duplicates): same birth date, phone or email.
            models.Index(fields=["date_of_birth"], name="patient_birth_date_idx"),
            models.Index(Upper("email"), name="patient_email_idx"),
            # Searching as one types: `icontains` compares UPPER(name) LIKE '%...%', which pg_trgm
            # indexes serve from anywhere in the name (patients migration 0005 makes them in SQL).
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name}"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"


class PatientProfile(models.Model):
    """What a patient tells the practice about themselves beyond the record's core: address,
    language, how they may be contacted, and whom to call in an emergency. Phones are E.164."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="profile")
    address_line1 = models.CharField("Address", max_length=120, blank=True)
    address_line2 = models.CharField("Address line 2", max_length=120, blank=True)
    city = models.CharField(max_length=80, blank=True)
    state = models.CharField("State", max_length=40, blank=True)
    postal_code = models.CharField("ZIP code", max_length=12, blank=True)
    preferred_language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    sms_consent = models.BooleanField("Text messages (SMS) allowed", default=False)
    email_consent = models.BooleanField("Email allowed", default=False)
    emergency_name = models.CharField("Emergency contact name", max_length=120, blank=True)
    emergency_relation = models.CharField("Emergency contact relation", max_length=60, blank=True)
    emergency_phone = PhoneNumberField("Emergency contact phone", max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Profile of {self.patient}"


def _card_path(instance: models.Model, filename: str) -> str:
    """Where the former PatientInsurance kept card photos (migration 0002 refers to it; the files
    now belong to insurance.Coverage, which keeps the same scheme)."""
    return f"insurance-cards/{instance.patient_id}/{uuid.uuid4().hex}"  # type: ignore[attr-defined]


class PatientMerge(models.Model):
    """One record merged into another (practica.patients.merge): who, which, when and what moved.
    The duplicate itself is gone; its id stays here, and in the audit trail of every row moved."""

    id = models.BigAutoField(primary_key=True)
    kept = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="merges")
    merged_patient_id = models.UUIDField(db_index=True)
    merged_name = models.CharField(max_length=170)
    merged_date_of_birth = models.DateField()
    moved = models.JSONField(default=dict, help_text="Rows moved, by model.")
    merged_by_id = models.BigIntegerField(null=True, blank=True)
    merged_by_name = models.CharField(max_length=200, blank=True)
    merged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"{self.merged_name} merged into {self.kept}"
