from django.apps import AppConfig


class StatementsConfig(AppConfig):
    name = "practica.statements"
    label = "statements"
    verbose_name = "Patient statements"
