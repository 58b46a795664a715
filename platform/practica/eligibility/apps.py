from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "practica.eligibility"
    label = "eligibility"
    verbose_name = "Eligibility: 270/271 checks of patients' coverage"
