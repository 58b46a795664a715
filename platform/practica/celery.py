"""Celery app. tenant-schemas-celery stores the caller's schema in each task's headers and
switches the worker's connection to it before the task runs, so tasks carry their practice."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practica.settings")

app = CeleryApp("practica")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
