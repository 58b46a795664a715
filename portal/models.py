import uuid

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models.functions import Lower


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
