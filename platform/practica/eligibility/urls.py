"""The back office's eligibility pages (under /eligibility/)."""

from django.urls import path

from practica.eligibility import views

app_name = "eligibility"

urlpatterns = [
    path("problems/", views.problems, name="problems"),
    path("checks/<str:check_id>/", views.check_detail, name="check"),
]
