"""Reads about who may act where."""

from django.db.models import Q, QuerySet

from practica.accounts.models import BillingCompanyAccess, Membership, User
from tenants.models import Practice


def role_in_practice(user: User, practice: Practice) -> str | None:
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
        return membership
    return (
        BillingCompanyAccess.objects.filter(
            practice=practice,
            revoked_at__isnull=True,
            company__members__user=user,
            company__members__is_active=True,
        )
        .values_list("role", flat=True)
        .first()
    )


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
