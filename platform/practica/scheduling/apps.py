from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "practica.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
