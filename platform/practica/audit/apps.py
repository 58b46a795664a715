from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "practica.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from practica.audit import signals

        signals.connect()
