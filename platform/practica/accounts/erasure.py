"""Deleting a person's login for good.

A login lives in public, but practices' rows point at it (a provider's login, a thread's
assignee, who wrote a message or posted a ledger entry) and their audit trails name it. Django's
own `User.delete()` looks for those rows in public only and fails; here each practice is visited
in turn (one practice per statement), its references set to NULL (audited by its triggers with
the actor deleting the account), and its audit events by the person keep their bare actor id but
lose what identifies them: email, address and browser (audit migration 0006 allows exactly that
and nothing else). The trail stays append-only: every event stays, and an event recording the
deletion is appended in each practice the person had worked in.

The last active owner of a live (not suspended) practice cannot be deleted: the practice would
be left with no one able to manage it."""

from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django_tenants.utils import schema_context, tenant_context

from practica.accounts.errors import AccessError
from practica.accounts.models import Membership, User
from practica.accounts.roles import Role
from practica.accounts.sessions import access_changed_for, end_sessions_of
from practica.audit.context import Kind
from practica.audit.models import AuditEvent
from practica.audit.services import record
from tenants.models import Practice


def practices_left_without_owner(user: User) -> list[Practice]:
    """The live practices where this person is the only active owner."""
    owned = Membership.objects.filter(user=user, role=Role.OWNER, is_active=True).exclude(
        practice__status=Practice.Status.SUSPENDED
    )
    return [
        membership.practice
        for membership in owned.select_related("practice").order_by("practice__name")
        if not Membership.objects.filter(practice=membership.practice_id, role=Role.OWNER, is_active=True)
        .exclude(user=user)
        .exists()
    ]


def delete_account(*, user: User) -> int:
    """Delete the login and everything public about it; returns how many practices' rows named it."""
    with schema_context("public"), transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        # Every owner membership of those practices is locked (in id order, as the staff services
        # do), so an owner leaving at the same moment cannot leave a practice ownerless.
        practice_ids = Membership.objects.filter(user=user, role=Role.OWNER).values_list("practice_id")
        list(Membership.objects.select_for_update().filter(practice_id__in=practice_ids).order_by("pk"))
        stranded = practices_left_without_owner(user)
        if stranded:
            names = ", ".join(practice.name for practice in stranded)
            raise AccessError(
                f"{user.email} is the last owner of {names}: make someone else owner there first."
            )
        worked_in = set(Membership.objects.filter(user=user).values_list("practice_id", flat=True))
        named_in = 0
        for practice in Practice.objects.exclude(schema_name__in=["public", settings.TENANT_BASE_SCHEMA]):
            with tenant_context(practice):
                if _forget_in_practice(user.pk) or practice.pk in worked_in:
                    record(AuditEvent.Action.DELETE, User(pk=user.pk))
                    named_in += 1
        end_sessions_of(user.pk)
        access_changed_for([user.pk])
        _delete_in_public(user)
    return named_in


def _practice_only_apps() -> set[str]:
    return {app for app in settings.TENANT_APPS if app not in settings.SHARED_APPS}


def _forget_in_practice(user_id: int) -> int:
    """Rows of the current practice naming the login: references cleared, audit events made
    anonymous. Returns how many rows changed."""
    changed = 0
    practice_apps = _practice_only_apps()
    for model in apps.get_models():
        if model._meta.app_config.name not in practice_apps:
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is User:
                changed += model._base_manager.filter(**{field.attname: user_id}).update(
                    **{field.attname: None}
                )
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('practica.erase_actor', %s, true)", [str(user_id)])
    changed += (
        AuditEvent.objects.filter(actor_id=user_id, actor_kind__in=[Kind.STAFF, Kind.BILLING_COMPANY])
        .exclude(actor_email="", ip_address=None, user_agent="")
        .update(actor_email="", ip_address=None, user_agent="")
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('practica.erase_actor', '', true)")
    return changed


def _delete_in_public(user: User) -> None:
    """Public rows: cascades and SET NULLs done as the relations say, then the login itself
    (without Django's collector, which would look for practices' tables in public)."""
    from notifications.routing.models import AccountEmail

    for relation in User._meta.related_objects:
        model = relation.related_model
        if not isinstance(model, type) or model._meta.app_config.name in _practice_only_apps():
            continue
        if relation.many_to_many:
            continue
        rows = model._base_manager.filter(**{relation.field.name: user.pk})
        if relation.on_delete is models.CASCADE:
            rows.delete()
        elif relation.on_delete is models.SET_NULL:
            rows.update(**{relation.field.name: None})
        elif rows.exists():
            raise AccessError(f"{model._meta.verbose_name} still names this login.")
    AccountEmail.objects.filter(to_address__iexact=user.email, practice_schema="").delete()
    user.groups.clear()
    user.user_permissions.clear()
    User.objects.filter(pk=user.pk)._raw_delete(connection.alias)
