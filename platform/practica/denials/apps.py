from django.apps import AppConfig


class DenialsConfig(AppConfig):
    name = "practica.denials"
    label = "denials"
    verbose_name = "Denials work queue"
