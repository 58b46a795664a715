"""The back office's remittance pages (under /remittance/): payments received and 835 upload, the
exceptions to work, and paper EOBs posted by hand."""

from django.urls import path

from practica.remittance import remittance_views as views

app_name = "remittance"

urlpatterns = [
    path("", views.remittance_home, name="home"),
    path("exceptions/", views.exception_list, name="exceptions"),
    path("exceptions/<str:exception_id>/", views.exception_detail, name="exception"),
    path("payments/<str:remittance_id>/", views.remittance_detail, name="remittance"),
    path("manual/", views.manual_posting, name="manual"),
]
