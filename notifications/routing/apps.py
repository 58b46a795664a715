from django.apps import AppConfig


class NotificationsRoutingConfig(AppConfig):
    """The public-schema side of notifications: which practice owns which Twilio number or
    Messaging Service (inbound routing, never taken from what a sender controls), the practices'
    encrypted Twilio credentials, and the small index of practices with work due."""

    name = "notifications.routing"
    label = "notifications_routing"
    verbose_name = "Notification routing"
