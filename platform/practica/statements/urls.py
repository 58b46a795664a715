"""The back office's statement pages (under /statements/)."""

from django.urls import path

from practica.statements import patient_views, run_views

app_name = "statements"

urlpatterns = [
    path("", run_views.run_list, name="run_list"),
    path("run/", run_views.run_now, name="run_now"),
    path("settings/", run_views.settings_edit, name="settings"),
    path("receivables/", run_views.receivables, name="aging"),
    path("runs/<str:run_id>/", run_views.run_detail, name="run"),
    path("runs/<str:run_id>/print.pdf", run_views.print_batch, name="print_batch"),
    path("patients/<str:patient_id>/", patient_views.patient_history, name="patient"),
    path("patients/<str:patient_id>/action/", patient_views.patient_action, name="patient_action"),
    path("<str:statement_id>/pdf/", run_views.statement_pdf, name="pdf"),
]
