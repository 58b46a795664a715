from django.apps import AppConfig


class X12Config(AppConfig):
    """No models: X12 writers and readers, and the `explain_x12` command."""

    name = "practica.x12"
    label = "x12"
    verbose_name = "X12 claims and acknowledgements"
