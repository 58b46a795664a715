"""People and their access. All of this lives in the public schema: one login per person,
and a role per practice, either as practice staff or through a billing company."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from practica.accounts.roles import Role
from tenants.models import Practice


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        return self.create_user(email, password, is_staff=True, is_superuser=True, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Platform operator (not practice staff).")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    def __str__(self) -> str:
        return self.email

    def delete(self, using: Any = None, keep_parents: bool = False) -> tuple[int, dict[str, int]]:
        """Django's collector would look for the practices' rows pointing here in public only, and
        fail: a login is deleted by practica.accounts.erasure (practices' references cleared, its
        audit events kept anonymous, the last owner of a live practice refused)."""
        from practica.accounts.erasure import delete_account

        delete_account(user=self)
        return 1, {self._meta.label: 1}


class Membership(models.Model):
    """A person's job at a practice."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "practice"], name="one_membership_per_practice")
        ]
        ordering = ["user__full_name"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.practice}: {self.role}"


class Invitation(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} to {self.practice} as {self.role}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class BillingCompany(models.Model):
    """An organisation that does billing for many client practices."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "billing companies"

    def __str__(self) -> str:
        return self.name


class BillingCompanyMember(models.Model):
    company = models.ForeignKey(BillingCompany, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="billing_company_membership")
    is_admin = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"


class BillingCompanyAccess(models.Model):
    """A practice's grant to a billing company. Revoking sets revoked_at; the row stays as history."""

    company = models.ForeignKey(BillingCompany, on_delete=models.CASCADE, related_name="accesses")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="billing_accesses")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.BILLER)
    granted_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "practice"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_grant_per_company_and_practice",
            ),
        ]
        indexes = [models.Index(fields=["company", "revoked_at"], name="access_company_live_idx")]

    def __str__(self) -> str:
        return f"{self.company} → {self.practice} ({self.role})"
