from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "practica.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from practica.audit import database, signals

        signals.connect()
        connection_created.connect(database.add_actor_wrapper, dispatch_uid="audit_actor_wrapper")
        post_migrate.connect(database.install_after_migrate, sender=self, dispatch_uid="audit_triggers")
