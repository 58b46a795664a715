from django.apps import AppConfig


class RemittanceConfig(AppConfig):
    name = "practica.remittance"
    label = "remittance"
    verbose_name = "Remittance: 835 posting and insurance payments"
