import uuid

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models.functions import Lower
from django_otp.util import random_hex


class PortalAccount(models.Model):
    """A patient's sign-in to one practice's portal. Lives in the practice schema, so an account
    exists only at its own practice; it is not a staff `accounts.User` and never becomes one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.CASCADE, related_name="portal_account"
    )
    email = models.EmailField()
    password = models.CharField(max_length=200)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    last_login = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Self-registered accounts wait for staff to confirm them as a new patient or merge them into
    # an existing record; invited accounts are already tied to a known record.
    awaiting_review = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="portal_account_email_unique")]

    def __str__(self) -> str:
        return self.email

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    def set_password(self, raw_password: str) -> None:
        self.password = make_password(raw_password)

    def check_password(self, raw_password: str) -> bool:
        return check_password(raw_password, self.password)


class ProxyLink(models.Model):
    """A portal account that may act for another patient record (a guardian for a child). The
    child's record stays its own; the link only lets the account choose to act as that patient.
    Made by staff; deleting the link ends the access on the guardian's next request."""

    class Kind(models.TextChoices):
        PROXY = "proxy", "Proxy (guardian)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="proxy_links")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="proxy_links")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PROXY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "patient"], name="proxy_link_unique")]

    def __str__(self) -> str:
        return f"{self.account} for {self.patient}"


def _logo_path(instance: "PracticeBranding", filename: str) -> str:
    return f"branding/logo-{uuid.uuid4().hex}"


class PracticeBranding(models.Model):
    """The practice's look in the portal: one row per practice schema."""

    logo = models.FileField(upload_to=_logo_path, blank=True)
    logo_content_type = models.CharField(max_length=40, blank=True)
    primary_colour = models.CharField(max_length=7, default="#1f5f8b")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Practice branding"


def new_totp_key() -> str:
    return random_hex(20)  # 160 bits, as django-otp's own TOTP devices


class PortalTOTPDevice(models.Model):
    """A patient's authenticator app, checked with django-otp's TOTP (the staff's second factor).

    django-otp's own device models belong to the staff `accounts.User` in the public schema; a
    patient's device belongs to their portal account in the practice schema instead, so it exists,
    like the account, only at its own practice. `confirmed` turns on once the patient has proven
    the app works; `last_t` is the time step of the last accepted code, so no code works twice."""

    account = models.OneToOneField(PortalAccount, on_delete=models.CASCADE, related_name="totp_device")
    key = models.CharField(max_length=80, default=new_totp_key)  # hex, as django-otp stores it
    confirmed = models.BooleanField(default=False)
    last_t = models.BigIntegerField(default=-1)
    drift = models.SmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Authenticator of {self.account}"


class PortalRecoveryCode(models.Model):
    """A single-use recovery code (django-otp's static tokens), kept only as a keyed hash."""

    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Recovery code of {self.account}"


class PhoneVerification(models.Model):
    """The check of one patient record's phone by a texted code: the code in flight (a keyed hash,
    never the code) with its attempts, how many codes were sent lately, and the number once proven.
    The record's phone counts as verified only while it still equals `verified_phone`."""

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.CASCADE, related_name="phone_verification"
    )
    phone = models.CharField(max_length=16, blank=True, help_text="E.164 number the code was sent to")
    code_hash = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sends_window_start = models.DateTimeField(null=True, blank=True)
    sends_in_window = models.PositiveSmallIntegerField(default=0)
    verified_phone = models.CharField(max_length=16, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Phone check of {self.patient_id}"
