from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "practica.core"
    label = "core"
    verbose_name = "Practica core"
