from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "practica.claims"
    label = "claims"
    verbose_name = "Claims: coding, charges and insurance claims"
