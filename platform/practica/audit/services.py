from typing import Any

from django.db.models import Model

from practica.audit.context import current_actor
from practica.audit.models import AuditEvent
from practica.core.context import request_id_var
from practica.core.tenancy import current_schema


def object_type_of(instance: Model) -> str:
    return f"{instance._meta.app_label}.{instance._meta.model_name}"


def record(action: str, instance: Model, changed_fields: list[str] | None = None) -> AuditEvent:
    """An event written by the application: reads, and changes to shared (public-schema) rows that
    belong to a practice. Changes to the practice's own rows are written by its triggers."""
    actor = current_actor.get()
    return AuditEvent.objects.create(
        practice_schema=current_schema(),
        actor_id=actor.user_id,
        actor_email=actor.email,
        actor_role=actor.role,
        actor_kind=actor.kind,
        actor_name=actor.name,
        action=action,
        object_type=object_type_of(instance),
        object_id=str(instance.pk),
        object_label=str(instance)[:200],
        changed_fields=changed_fields or [],
        ip_address=actor.ip_address,
        user_agent=actor.user_agent,
        request_id=request_id_var.get(),
    )


def record_view(instance: Model) -> AuditEvent:
    """Every read of patient data is recorded; call it from the view or endpoint that shows it."""
    return record(AuditEvent.Action.VIEW, instance)


def record_views(instances: Any) -> None:
    actor = current_actor.get()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            practice_schema=current_schema(),
            actor_id=actor.user_id,
            actor_email=actor.email,
            actor_role=actor.role,
            actor_kind=actor.kind,
            actor_name=actor.name,
            action=AuditEvent.Action.VIEW,
            object_type=object_type_of(instance),
            object_id=str(instance.pk),
            object_label=str(instance)[:200],
            ip_address=actor.ip_address,
            user_agent=actor.user_agent,
            request_id=request_id_var.get(),
        )
        for instance in instances
    )
