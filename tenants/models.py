from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists


class Plan(models.Model):  # type: ignore[django-manager-missing]  # Practice subclasses an untyped mixin
    """A subscription plan offered on the pricing page. Billing details come with Stripe Billing."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    monthly_price_per_seat_cents = models.PositiveIntegerField()
    yearly_price_per_seat_cents = models.PositiveIntegerField()
    trial_days = models.PositiveSmallIntegerField(default=14)
    sort_order = models.PositiveSmallIntegerField(default=0)
    is_public = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.")


class Practice(TenantMixin):
    """A medical practice: one tenant, one PostgreSQL schema."""

    class Status(models.TextChoices):
        TRIAL = "trial", "Trial"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=40, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.TRIAL)
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="practices")
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    require_staff_two_factor = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    def create_schema(
        self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1
    ) -> bool:
        """django-tenants' clone, then the names it loses put back (see tenants.cloning)."""
        if check_if_exists and schema_exists(self.schema_name):
            return False
        super().create_schema(check_if_exists=False, sync_schema=sync_schema, verbosity=verbosity)
        template = settings.TENANT_BASE_SCHEMA
        if sync_schema and template != self.schema_name and schema_exists(template):
            from tenants.cloning import match_template_names

            match_template_names(template, self.schema_name)
        return True


class Domain(DomainMixin):
    """A host name that routes to a practice: `<slug>.<BASE_DOMAIN>` or a custom domain."""

    def __str__(self) -> str:
        return self.domain
