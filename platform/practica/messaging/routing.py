from django.urls import path

from practica.messaging.consumers import MessagingConsumer

websocket_urlpatterns = [
    path("ws/messaging/", MessagingConsumer.as_asgi()),
    path("ws/messaging/<uuid:thread_id>/", MessagingConsumer.as_asgi()),
]
