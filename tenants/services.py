"""Practice sign-up and subscription status changes."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from practica.accounts.models import Membership, User
from practica.accounts.roles import Role
from practica.core import access
from tenants.models import Domain, Plan, Practice
from tenants.slugs import schema_name_for
from tenants.tasks import refill_ready_schemas

PUBLIC_SCHEMA = "public"


class SignupError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class SignupResult:
    practice: Practice
    owner: User


def ensure_public_site() -> Practice:
    """The public schema's tenant row and the BASE_DOMAIN host that routes to it."""
    site, _ = Practice.objects.get_or_create(
        schema_name=PUBLIC_SCHEMA,
        defaults={"name": "Practica", "slug": "public", "status": Practice.Status.ACTIVE},
    )
    Domain.objects.get_or_create(domain=settings.BASE_DOMAIN, defaults={"tenant": site, "is_primary": True})
    return site


def provision_practice(
    *, name: str, slug: str, plan: Plan | None, time_zone: str = "America/New_York"
) -> Practice:
    """Create the tenant row, its schema (cloned from the template) and its subdomain."""
    practice = Practice(
        name=name, slug=slug, schema_name=schema_name_for(slug), plan=plan, time_zone=time_zone
    )
    practice.save(verbosity=0)  # creates the schema (a copy of TENANT_BASE_SCHEMA, tenants.cloning)
    Domain.objects.create(domain=f"{slug}.{settings.BASE_DOMAIN}", tenant=practice, is_primary=True)
    return practice


def sign_up_practice(
    *, practice_name: str, slug: str, owner_name: str, email: str, password: str, plan: Plan | None
) -> SignupResult:
    """The validated form calls this. Re-checks uniqueness inside the transaction for races."""
    email = email.strip().lower()
    with transaction.atomic():
        if (
            Practice.objects.filter(slug=slug).exists()
            or Domain.objects.filter(domain=f"{slug}.{settings.BASE_DOMAIN}").exists()
        ):
            raise SignupError("subdomain", "This subdomain is taken. Please choose another.")
        if User.objects.filter(email=email).exists():
            raise SignupError(
                "email", "An account with this email already exists. Sign in to add a practice."
            )
        owner = User.objects.create_user(email, password, full_name=owner_name.strip())
        practice = provision_practice(name=practice_name.strip(), slug=slug, plan=plan)
        Membership.objects.create(user=owner, practice=practice, role=Role.OWNER)
        if settings.PRACTICE_READY_SCHEMAS:
            # The next signup's schema is made in the background, not in this one's time.
            transaction.on_commit(refill_ready_schemas.delay)
    return SignupResult(practice=practice, owner=owner)


def _save_in_public(practice: Practice, fields: list[str]) -> None:
    # Tenant rows live in the public schema; django-tenants refuses to save one from another
    # practice's schema, and a status change may come from a task or webhook running anywhere.
    with schema_context(PUBLIC_SCHEMA):
        practice.save(update_fields=fields)


def activate_practice(practice: Practice) -> Practice:
    """The subscription is paid: the seam the Stripe Billing webhook calls."""
    practice.status = Practice.Status.ACTIVE
    practice.activated_at = practice.activated_at or timezone.now()
    practice.suspended_at = None
    _save_in_public(practice, ["status", "activated_at", "suspended_at"])
    return practice


def mark_past_due(practice: Practice) -> Practice:
    practice.status = Practice.Status.PAST_DUE
    _save_in_public(practice, ["status"])
    return practice


def suspend_practice(practice: Practice) -> Practice:
    """Data is kept for the retention period (see tenants.retention); every page of the practice
    shows the suspension notice instead."""
    if practice.status != Practice.Status.SUSPENDED or practice.suspended_at is None:
        practice.suspended_at = timezone.now()
    practice.status = Practice.Status.SUSPENDED
    _save_in_public(practice, ["status", "suspended_at"])
    # Its open sockets close too (practica.core.access), once this is committed.
    access.announce_on_commit([access.practice_subject(practice.schema_name)])
    return practice
