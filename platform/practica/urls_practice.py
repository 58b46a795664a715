"""URLs of a practice's subdomain: the staff back office and the practice API."""

from django.urls import include, path

from accounts import views as accounts
from audit import views as audit
from core import views as core
from patients import views as patients
from scheduling import views as scheduling

urlpatterns = [
    path("", core.dashboard, name="dashboard"),
    path("login/", accounts.login_view, name="login"),
    path("login/verify/", accounts.login_verify, name="login_verify"),
    path("logout/", accounts.logout_view, name="logout"),
    path("handoff/", accounts.handoff, name="handoff"),
    path("account/two-factor/", accounts.two_factor_setup, name="two_factor_setup"),
    path("switch/", accounts.switch_practice, name="switch_practice"),
    path("go/<slug:slug>/", accounts.go_to_practice, name="go_to_practice"),
    path("staff/", accounts.staff_list, name="staff_list"),
    path("staff/<int:membership_id>/", accounts.staff_update, name="staff_update"),
    path("staff/join/<str:token>/", accounts.join, name="staff_join"),
    path("settings/security/", accounts.security_settings, name="security_settings"),
    path("patients/", patients.patient_list, name="patient_list"),
    path("patients/new/", patients.patient_edit, name="patient_new"),
    path("patients/<uuid:patient_id>/", patients.patient_detail, name="patient_detail"),
    path("patients/<uuid:patient_id>/edit/", patients.patient_edit, name="patient_edit"),
    path("setup/", scheduling.setup_overview, name="setup_overview"),
    path("setup/locations/new/", scheduling.location_edit, name="location_new"),
    path("setup/locations/<uuid:location_id>/", scheduling.location_edit, name="location_edit"),
    path("setup/providers/new/", scheduling.provider_edit, name="provider_new"),
    path("setup/providers/<uuid:provider_id>/", scheduling.provider_edit, name="provider_edit"),
    path("audit/", audit.audit_log, name="audit_log"),
    path("api/", include("api.urls")),
    path("health/", core.health, name="health"),
    path("notifications/", include("notifications.urls")),
]
