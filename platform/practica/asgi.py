"""ASGI entry point: HTTP through Django (with django-tenants routing). WebSocket routes are
added by the messaging work; their tenant is resolved from the Host at connect time."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practica.settings")

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402  (needs Django set up first)

application = ProtocolTypeRouter({"http": django_asgi_app})
