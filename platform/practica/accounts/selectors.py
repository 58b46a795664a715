"""Reads about who may act where."""

from typing import NamedTuple

from django.db.models import Q, QuerySet

from practica.accounts.models import BillingCompanyAccess, Membership, User
from tenants.models import Practice


class Access(NamedTuple):
    role: str
    billing_company: str | None  # the company's name when the access is its grant, not a membership


def access_in_practice(user: User, practice: Practice) -> Access | None:
    """The user's role at the practice, as staff or through their billing company; None if none.

    Checked on every request, so a revoked grant or a deactivated member loses access at once.
    """
    if not user.is_active:
        return None
    membership = (
        Membership.objects.filter(user=user, practice=practice, is_active=True)
        .values_list("role", flat=True)
        .first()
    )
    if membership:
        return Access(membership, None)
    grant = (
        BillingCompanyAccess.objects.filter(
            practice=practice,
            revoked_at__isnull=True,
            company__members__user=user,
            company__members__is_active=True,
        )
        .values_list("role", "company__name")
        .first()
    )
    return Access(*grant) if grant else None


def role_in_practice(user: User, practice: Practice) -> str | None:
    access = access_in_practice(user, practice)
    return access.role if access else None


def practices_for_user(user: User) -> QuerySet[Practice]:
    """Every practice the user can enter: own memberships and billing-company clients."""
    return (
        Practice.objects.exclude(schema_name="public")
        .filter(
            Q(memberships__user=user, memberships__is_active=True)
            | Q(
                billing_accesses__revoked_at__isnull=True,
                billing_accesses__company__members__user=user,
                billing_accesses__company__members__is_active=True,
            )
        )
        .distinct()
        .order_by("name")
    )


def client_practices(company_id: int, search: str = "") -> QuerySet[Practice]:
    """A billing company's live clients; indexed on (company, revoked_at), paginated by callers."""
    practices = Practice.objects.filter(
        billing_accesses__company_id=company_id, billing_accesses__revoked_at__isnull=True
    )
    if search:
        practices = practices.filter(Q(name__icontains=search) | Q(slug__icontains=search))
    return practices.order_by("name")


def staff_of(practice: Practice) -> QuerySet[Membership]:
    return Membership.objects.filter(practice=practice).select_related("user").order_by("user__full_name")
