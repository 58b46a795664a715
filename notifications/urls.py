"""Back-office pages and the status webhook, on the practice's host under /notifications/."""

from django.urls import path

from notifications import views, webhooks

urlpatterns = [
    path("twilio/status/", webhooks.status_callback, name="twilio_status_callback"),
    path("log/", views.delivery_log, name="notification_log"),
    path("settings/", views.reminder_settings, name="notification_settings"),
    path("templates/", views.template_list, name="notification_templates"),
    path(
        "templates/<str:kind>/<str:channel>/<str:language>/",
        views.template_edit,
        name="notification_template_edit",
    ),
    path("twilio/", views.twilio_settings, name="notification_twilio"),
]
