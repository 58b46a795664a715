"""The back office's denials work queue (under /denials/)."""

from django.urls import path

from practica.denials import queue_views

app_name = "denials"

urlpatterns = [
    path("", queue_views.denial_queue, name="queue"),
    path("setup/appeal-letter/", queue_views.appeal_template, name="appeal_template"),
    path("<str:item_id>/", queue_views.denial_item, name="item"),
    path("<str:item_id>/appeal-letter/", queue_views.appeal_letter, name="appeal_letter"),
    path(
        "<str:item_id>/letters/<str:letter_id>/",
        queue_views.appeal_letter_file,
        name="appeal_letter_file",
    ),
]
