from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "practica.patient_billing"
    label = "billing"
    verbose_name = "Patient billing"

    def ready(self) -> None:
        from practica.patient_billing import signals  # noqa: F401  # seat count follows providers
