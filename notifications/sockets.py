"""WebSocket routes of the notifications app (registered in practica.asgi)."""

from django.urls import path

from notifications.consumers import DeliveryLogConsumer

websocket_urlpatterns = [
    path("ws/notifications/log/", DeliveryLogConsumer.as_asgi()),
]
