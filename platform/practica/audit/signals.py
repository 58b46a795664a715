"""Changes to the shared rows that belong to a practice (its staff memberships, invitations and
billing-company grants, kept in the public schema) go to that practice's trail.

A practice schema's own rows need no signal: their database triggers record every change, however
it is made (practica.audit.database).
"""

from typing import Any

from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django_tenants.utils import schema_context

from practica.audit import services
from practica.audit.models import AuditEvent
from practica.core.tenancy import current_schema

AUDITED_SHARED_MODELS = {
    "accounts.membership",
    "accounts.invitation",
    "accounts.billingcompanyaccess",
}
_SKIP_FIELDS = {"updated_at", "last_login"}


def _is_audited(sender: type[Model]) -> bool:
    return sender._meta.label_lower in AUDITED_SHARED_MODELS


def _practice_schema(instance: Model) -> str | None:
    """Where the event is kept: shared rows that belong to a practice go to that practice."""
    practice = getattr(instance, "practice", None)
    if practice is not None:
        return str(practice.schema_name)
    return current_schema() if current_schema() != "public" else None


def _record(instance: Model, action: str, changed: list[str] | None = None) -> None:
    schema = _practice_schema(instance)
    if schema is None:
        return
    if schema == current_schema():
        services.record(action, instance, changed)
    else:
        with schema_context(schema):
            services.record(action, instance, changed)


def _remember_old(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    if instance.pk is None or not _is_audited(sender) or kwargs.get("raw"):
        return
    old = sender._default_manager.filter(pk=instance.pk).values().first()
    instance._audit_old = old  # type: ignore[attr-defined]


def _changed_fields(instance: Model) -> list[str]:
    old = getattr(instance, "_audit_old", None) or {}
    changed = []
    for field in instance._meta.concrete_fields:
        if field.attname in _SKIP_FIELDS:
            continue
        if old.get(field.attname) != getattr(instance, field.attname):
            changed.append(field.name)
    return changed


def _saved(sender: type[Model], instance: Model, created: bool, **kwargs: Any) -> None:
    if not _is_audited(sender) or kwargs.get("raw"):
        return
    if created:
        _record(instance, AuditEvent.Action.CREATE)
    else:
        changed = _changed_fields(instance)
        if changed:
            _record(instance, AuditEvent.Action.UPDATE, changed)


def _deleted(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    if _is_audited(sender):
        _record(instance, AuditEvent.Action.DELETE)


def _relations_changed(
    sender: type[Model], instance: Model, action: str, reverse: bool, **kwargs: Any
) -> None:
    """Adding or removing links (a provider's locations, say) changes the record it is seen from."""
    if action not in ("post_add", "post_remove", "post_clear") or not _is_audited(type(instance)):
        return
    if action != "post_clear" and not kwargs.get("pk_set"):
        return
    for field in instance._meta.get_fields():
        if getattr(field, "remote_field", None) and getattr(field.remote_field, "through", None) is sender:
            _record(instance, AuditEvent.Action.UPDATE, [field.name])
            return
    _record(instance, AuditEvent.Action.UPDATE, [sender._meta.model_name or ""])


def connect() -> None:
    pre_save.connect(_remember_old, dispatch_uid="audit_pre_save")
    post_save.connect(_saved, dispatch_uid="audit_post_save")
    post_delete.connect(_deleted, dispatch_uid="audit_post_delete")
    m2m_changed.connect(_relations_changed, dispatch_uid="audit_m2m_changed")
