from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "practica.core"
    label = "core"
    verbose_name = "Practica core"

    def ready(self) -> None:
        from django.core.signals import request_finished

        from practica.core.database.base import recycle_after_many_schemas

        request_finished.connect(recycle_after_many_schemas, dispatch_uid="recycle_after_many_schemas")
