from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Patient billing"

    def ready(self) -> None:
        from billing import signals  # noqa: F401  # seat count follows providers
