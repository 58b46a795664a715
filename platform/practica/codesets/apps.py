from django.apps import AppConfig


class CodesetsConfig(AppConfig):
    name = "practica.codesets"
    label = "codesets"
    verbose_name = "Code sets (ICD-10-CM, place of service)"
