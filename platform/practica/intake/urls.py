from django.urls import path

from practica.intake import views

app_name = "intake"

urlpatterns = [
    path("setup/", views.packet_list, name="packet_list"),
    path("setup/<uuid:appointment_type_id>/", views.packet_edit, name="packet_edit"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<uuid:submission_id>/", views.review, name="review"),
    path("files/<uuid:response_id>/", views.document, name="document"),
]
