from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "practica.messaging"
    label = "messaging"
    verbose_name = "Secure messaging"
    default_auto_field = "django.db.models.BigAutoField"
