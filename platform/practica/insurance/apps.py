from django.apps import AppConfig


class InsuranceConfig(AppConfig):
    name = "practica.insurance"
    label = "insurance"
    verbose_name = "Insurance: payers and coverages"
