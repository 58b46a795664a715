from django.db import models
from django.db.models.functions import Now

from practica.audit.context import Actor


class AuditEvent(models.Model):
    """Append-only: a database trigger (see migration 0002) refuses UPDATE and DELETE.

    Creates, updates and deletes of a practice's rows are written by database triggers
    (practica.audit.database), whatever wrote the row; reads are recorded by the views that show
    them (practica.audit.services.record_view). The time is the database's, for both."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"
        VIEW = "view", "Viewed"

    at = models.DateTimeField(db_default=Now(), db_index=True)
    practice_schema = models.CharField(max_length=63)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_email = models.CharField(max_length=254, blank=True)
    actor_role = models.CharField(max_length=16, blank=True)
    # staff, billing_company, patient, visitor, task, command or system (practica.audit.context.Kind)
    actor_kind = models.CharField(max_length=16, default="system")
    # The task or command's name, the billing company's name, or the acting patient's record id.
    actor_name = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=8, choices=Action.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_label = models.CharField(max_length=200, blank=True)
    changed_fields = models.JSONField(default=list, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    @property
    def actor_label(self) -> str:
        return Actor(email=self.actor_email, kind=self.actor_kind, name=self.actor_name).label
