from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "practica.intake"
    label = "intake"
    verbose_name = "Intake forms and documents"
