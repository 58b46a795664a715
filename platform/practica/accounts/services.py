"""Staff and billing-company access: every write lives here."""

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from practica.accounts.errors import AccessError
from practica.accounts.models import (
    BillingCompany,
    BillingCompanyAccess,
    BillingCompanyMember,
    Invitation,
    Membership,
    User,
)
from practica.accounts.roles import Role
from practica.accounts.sessions import access_changed_for, end_sessions_of
from practica.core import access
from tenants.models import Practice


def invite_staff(*, practice: Practice, email: str, role: str, invited_by: User) -> Invitation:
    email = email.strip().lower()
    if role not in Role.values:
        raise AccessError("Unknown role.")
    if (
        role == Role.OWNER
        and not Membership.objects.filter(
            practice=practice, user=invited_by, role=Role.OWNER, is_active=True
        ).exists()
    ):
        raise AccessError("Only an owner can invite another owner.")
    if Membership.objects.filter(practice=practice, user__email=email).exists():
        raise AccessError("This person is already on the staff list.")
    invitation = Invitation.objects.create(practice=practice, email=email, role=role, invited_by=invited_by)
    from practica.accounts.tasks import send_invitation_email

    transaction.on_commit(lambda: send_invitation_email.delay(invitation.pk))
    return invitation


@transaction.atomic
def accept_invitation(
    *, invitation: Invitation, user: User | None, full_name: str = "", password: str = ""
) -> Membership:
    """Join the practice. A new person creates their login; an existing one just gains the role."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise AccessError("This invitation has already been used or was withdrawn.")
    if user is None:
        if User.objects.filter(email=invitation.email).exists():
            raise AccessError("You already have a Practica login: sign in first, then open the link again.")
        candidate = User(email=invitation.email, full_name=full_name)
        validate_password(password, candidate)
        user = User.objects.create_user(invitation.email, password, full_name=full_name)
    elif user.email != invitation.email:
        raise AccessError("This invitation was sent to another email address.")
    membership, _ = Membership.objects.update_or_create(
        user=user,
        practice=invitation.practice,
        defaults={"role": invitation.role, "is_active": True},
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership


def set_password(*, user: User, password: str) -> None:
    """A new password (checked by the caller's form): every session opened with the old one ends
    at its next request (Django's session auth hash) and its open sockets close at once. The
    caller keeps its own session with update_session_auth_hash."""
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    access_changed_for([user.pk])


def _lock_practice_staff(membership: Membership) -> Membership:
    """Lock every membership of the practice (in id order, so two callers cannot deadlock).

    Two owners demoting or deactivating each other at the same moment would each see the other
    as the remaining owner and both succeed, leaving none; with the rows locked, the second
    waits and then sees the first one's change.
    """
    locked = list(
        Membership.objects.select_for_update().filter(practice_id=membership.practice_id).order_by("pk")
    )
    return next(row for row in locked if row.pk == membership.pk)


def _other_active_owners(membership: Membership) -> bool:
    return (
        Membership.objects.filter(practice=membership.practice_id, role=Role.OWNER, is_active=True)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def change_role(*, membership: Membership, role: str) -> Membership:
    if role not in Role.values:
        raise AccessError("Unknown role.")
    membership = _lock_practice_staff(membership)
    if membership.role == Role.OWNER and role != Role.OWNER and not _other_active_owners(membership):
        raise AccessError("A practice needs at least one owner: make someone else owner first.")
    membership.role = role
    membership.save(update_fields=["role"])
    access_changed_for([membership.user_id])
    return membership


@transaction.atomic
def set_member_active(*, membership: Membership, active: bool, acting_user: User) -> Membership:
    membership = _lock_practice_staff(membership)
    if not active:
        if membership.user_id == acting_user.pk:
            raise AccessError("You cannot deactivate yourself.")
        if membership.role == Role.OWNER and not _other_active_owners(membership):
            raise AccessError("A practice needs at least one active owner.")
    membership.is_active = active
    membership.save(update_fields=["is_active"])
    access_changed_for([membership.user_id])
    return membership


def grant_billing_company(
    *, practice: Practice, company: BillingCompany, role: str = Role.BILLER, granted_by: User | None
) -> BillingCompanyAccess:
    if role == Role.OWNER:
        raise AccessError("A billing company cannot be made owner of a practice.")
    if role not in Role.values:
        raise AccessError("Unknown role.")
    live = BillingCompanyAccess.objects.filter(
        practice=practice, company=company, revoked_at__isnull=True
    ).first()
    if live:
        if live.role != role:
            live.role = role
            live.save(update_fields=["role"])
            access_changed_for(_company_user_ids(company))
        return live
    return BillingCompanyAccess.objects.create(
        practice=practice, company=company, role=role, granted_by=granted_by
    )


def _company_user_ids(company: BillingCompany) -> list[int]:
    return list(company.members.values_list("user_id", flat=True))


def revoke_billing_company(*, practice: Practice, company: BillingCompany) -> int:
    """Takes effect on the company's very next request (access is checked on every request), and
    at once on their open sockets."""
    revoked = BillingCompanyAccess.objects.filter(
        practice=practice, company=company, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if revoked:
        access_changed_for(_company_user_ids(company))
    return revoked


@transaction.atomic
def deactivate_billing_company_member(
    *, member: BillingCompanyMember, acting_user: User
) -> BillingCompanyMember:
    """A billing company's admin takes one of its people off the company: their access ends at
    once everywhere. Every practice the company serves refuses them from their next request (the
    access check reads `is_active`), every session of their login ends now (the public site's
    client list included), and their open sockets close as this commits."""
    member = BillingCompanyMember.objects.select_for_update().get(pk=member.pk)
    acting_admin = BillingCompanyMember.objects.filter(
        user=acting_user, company_id=member.company_id, is_admin=True, is_active=True
    ).exists()
    if not acting_admin:
        raise AccessError("Only an admin of the company can deactivate its people.")
    if member.user_id == acting_user.pk:
        raise AccessError("You cannot deactivate yourself.")
    if member.is_active:
        member.is_active = False
        member.save(update_fields=["is_active"])
    end_sessions_of(member.user_id)
    access_changed_for([member.user_id])
    return member


def set_staff_two_factor_requirement(*, practice: Practice, required: bool) -> None:
    """Once required, a session that was not verified by a second factor loses its open sockets
    at once, and its next page asks for the code (practica.accounts.middleware)."""
    if practice.require_staff_two_factor == required:
        return
    practice.require_staff_two_factor = required
    practice.save(update_fields=["require_staff_two_factor"])
    if required:
        access.announce_on_commit([access.practice_subject(practice.schema_name)])
