from typing import Any
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
    # Stripe Billing prices (per provider seat); empty: the plan cannot be bought online yet.
    stripe_monthly_price_id = models.CharField(max_length=64, blank=True)
    stripe_yearly_price_id = models.CharField(max_length=64, blank=True)
    # The platform's fee on each patient payment, in basis points (100 = 1%).
    application_fee_bps = models.PositiveSmallIntegerField(default=100)

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
    # Subscription (the platform's Stripe account).
    stripe_customer_id = models.CharField(max_length=64, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=64, blank=True, db_index=True)
    billing_interval = models.CharField(max_length=5, default="month")  # "month" or "year"
    past_due_since = models.DateTimeField(null=True, blank=True)
    # When the subscription ended: the practice's data is purged PRACTICE_DATA_RETENTION_DAYS later.
    suspended_at = models.DateTimeField(null=True, blank=True)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    trial_ending_notice_sent_at = models.DateTimeField(null=True, blank=True)
    # Stripe's `created` of the last subscription event applied: older events arriving late are ignored.
    subscription_event_created = models.BigIntegerField(default=0)
    # Patient payments (the practice's Stripe Connect account): maps Connect events to the practice.
    stripe_account_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    connect_charges_enabled = models.BooleanField(default=False)
    connect_payouts_enabled = models.BooleanField(default=False)
    connect_requirements_due = models.JSONField(default=list, blank=True)

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
        """A ready schema renamed (tenants.pool), else a copy of the template schema (tenants.cloning);
        every migration when the template is missing."""
        if check_if_exists and schema_exists(self.schema_name):
            return False
        template = settings.TENANT_BASE_SCHEMA
        if sync_schema and template != self.schema_name and schema_exists(template):
            from tenants.cloning import copy_template
            from tenants.pool import take_ready_schema

            if not take_ready_schema(self.schema_name):
                copy_template(template, self.schema_name)
            return True
        super().create_schema(check_if_exists=False, sync_schema=sync_schema, verbosity=verbosity)
        return True


class ReadySchema(models.Model):
    """A copy of the template made ahead of any signup, renamed to the next new practice's schema
    (tenants.pool). Holds no data; the deploy migrates it like a practice."""

    schema_name = models.CharField(max_length=63, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.schema_name


class PracticePurge(models.Model):
    """That a practice was purged, when and by what: the one public row that outlives it, so an
    operator can answer "what happened to practice X". It holds no practice data: no name, no
    people, nothing from its schema; only the identifiers its host and logs knew it by."""

    practice_id = models.BigIntegerField()  # the former tenants_practice row's id
    slug = models.SlugField(max_length=40)  # indexed: the question names the practice's host
    schema_name = models.CharField(max_length=63)
    subscription_ended_at = models.DateTimeField(null=True, blank=True)
    retention_days = models.PositiveIntegerField()
    purged_at = models.DateTimeField()
    # The label of the task or command that ran it, e.g. `command:purge_expired_practices`.
    purged_by = models.CharField(max_length=254)

    class Meta:
        ordering = ["-purged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.slug} purged {self.purged_at:%Y-%m-%d}"


class Domain(DomainMixin):
    """A host name that routes to a practice: `<slug>.<BASE_DOMAIN>` or a custom domain."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Host names are case-insensitive: kept in lower case, matched against the lower-cased Host.
        self.domain = str(self.domain).lower()  # type: ignore[has-type]  # django-tenants is untyped
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.domain


class StripeEvent(models.Model):
    """Every verified Stripe webhook event, once: the id makes delivery retries and replays no-ops.

    Lives in the public schema because the platform's events belong to no practice and a Connect
    event only names its practice through `account` (see Practice.stripe_account_id)."""

    class Endpoint(models.TextChoices):
        PLATFORM = "platform", "Platform (subscriptions)"
        CONNECT = "connect", "Connect (patient payments)"

    id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=80)
    endpoint = models.CharField(max_length=8, choices=Endpoint.choices)
    account = models.CharField(max_length=64, blank=True)
    created = models.BigIntegerField()  # Stripe's unix time of the event
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"
