from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "practica.patients"
    label = "patients"
    verbose_name = "Patients and registration"
