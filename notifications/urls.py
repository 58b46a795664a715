"""Back-office pages and the status webhook, on the practice's host under /notifications/."""

from django.urls import path

from notifications import views, webhooks

urlpatterns = [
    path("twilio/status/", webhooks.status_callback, name="twilio_status_callback"),
    path("log/", views.delivery_log, name="notification_log"),
]
