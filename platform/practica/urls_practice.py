"""URLs of a practice's subdomain: the staff back office and the practice API."""

from django.urls import include, path

from portal import waitlist_views as portal_waitlist
from practica.accounts import views as accounts
from practica.audit import views as audit
from practica.core import views as core
from practica.dashboard import views as dashboard
from practica.eligibility import views as eligibility
from practica.messaging import views as messaging
from practica.patient_billing import desk_views
from practica.patient_billing import views as billing
from practica.patients import duplicate_views
from practica.patients import views as patients
from practica.scheduling import (
    booking_views,
    calendar_views,
    frontdesk_views,
    setup_views,
    waitlist_views,
)

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("login/", accounts.login_view, name="login"),
    path("login/verify/", accounts.login_verify, name="login_verify"),
    path("login/forgot/", accounts.password_forgotten, name="password_forgotten"),
    path(
        "login/reset/<str:user_id>/<str:token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("logout/", accounts.logout_view, name="logout"),
    path("handoff/", accounts.handoff, name="handoff"),
    path("account/two-factor/", accounts.two_factor_setup, name="two_factor_setup"),
    path("account/password/", accounts.password_change, name="password_change"),
    path("switch/", accounts.switch_practice, name="switch_practice"),
    path("go/<slug:slug>/", accounts.go_to_practice, name="go_to_practice"),
    path("staff/", accounts.staff_list, name="staff_list"),
    path("staff/<int:membership_id>/", accounts.staff_update, name="staff_update"),
    path("staff/join/<str:token>/", accounts.join, name="staff_join"),
    path("settings/security/", accounts.security_settings, name="security_settings"),
    path("patients/", patients.patient_list, name="patient_list"),
    path("patients/new/", patients.patient_edit, name="patient_new"),
    path("patients/search.json", duplicate_views.patient_search, name="patient_search"),
    path("patients/<uuid:patient_id>/merge/", duplicate_views.patient_merge, name="patient_merge"),
    path("patients/<uuid:patient_id>/", patients.patient_detail, name="patient_detail"),
    path("patients/<uuid:patient_id>/edit/", patients.patient_edit, name="patient_edit"),
    path("patients/<uuid:patient_id>/profile/", patients.patient_profile_edit, name="patient_profile_edit"),
    path(
        "patients/<uuid:patient_id>/insurance/",
        patients.patient_insurance_edit,
        name="patient_insurance_edit",
    ),
    path(
        "patients/<uuid:patient_id>/insurance/<str:side>/",
        patients.patient_insurance_card,
        name="patient_insurance_card",
    ),
    path("setup/", setup_views.setup_overview, name="setup_overview"),
    path("setup/locations/new/", setup_views.location_edit, name="location_new"),
    path("setup/locations/<uuid:location_id>/", setup_views.location_edit, name="location_edit"),
    path("setup/providers/new/", setup_views.provider_edit, name="provider_new"),
    path("setup/providers/<uuid:provider_id>/", setup_views.provider_edit, name="provider_edit"),
    path("setup/providers/<uuid:provider_id>/week/", setup_views.provider_week, name="provider_week"),
    path("setup/providers/<uuid:provider_id>/feed/", setup_views.provider_feed, name="provider_feed"),
    path("setup/policy/", setup_views.policy_edit, name="scheduling_policy"),
    path("setup/<slug:kind>/", setup_views.setup_list, name="setup_list"),
    path("setup/<slug:kind>/new/", setup_views.setup_edit, name="setup_new"),
    path("setup/<slug:kind>/<str:object_id>/", setup_views.setup_edit, name="setup_edit"),
    path("setup/<slug:kind>/<str:object_id>/delete/", setup_views.setup_delete, name="setup_delete"),
    path("schedule/", calendar_views.calendar_view, name="calendar"),
    path("schedule/type-colours.css", calendar_views.type_colours, name="type_colours"),
    path("schedule/feeds/<str:token>.ics", setup_views.provider_busy_feed, name="provider_busy_feed"),
    path("schedule/today/", frontdesk_views.today, name="today"),
    path("schedule/waitlist/", waitlist_views.waitlist, name="waitlist"),
    path("schedule/waitlist/<uuid:entry_id>/remove/", waitlist_views.waitlist_remove, name="waitlist_remove"),
    path("schedule/book/", booking_views.book, name="book"),
    path(
        "schedule/appointments/<str:appointment_id>/",
        booking_views.appointment_detail,
        name="appointment_detail",
    ),
    path(
        "schedule/appointments/<str:appointment_id>/reschedule/",
        booking_views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path(
        "schedule/appointments/<str:appointment_id>/cancel/",
        booking_views.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "schedule/appointments/<str:appointment_id>/status/",
        booking_views.appointment_status,
        name="appointment_status",
    ),
    path(
        "schedule/appointments/<str:appointment_id>/check-in/", desk_views.check_in, name="billing_check_in"
    ),
    path(
        "schedule/appointments/<str:appointment_id>/eligibility/",
        eligibility.check_visit,
        name="appointment_eligibility",
    ),
    path("audit/", audit.audit_log, name="audit_log"),
    path("messages/", messaging.inbox, name="messaging_inbox"),
    path("messages/new/<uuid:patient_id>/", messaging.thread_start, name="messaging_start"),
    path("messages/<uuid:thread_id>/", messaging.thread_detail, name="messaging_thread"),
    path("messages/<uuid:thread_id>/since/", messaging.thread_since, name="messaging_since"),
    path(
        "messages/<uuid:thread_id>/attachments/<uuid:attachment_id>/",
        messaging.attachment_download,
        name="messaging_attachment",
    ),
    path("messages/<uuid:thread_id>/<slug:action>/", messaging.thread_action, name="messaging_action"),
    path("api/", include("api.urls")),
    path("portal/", include("portal.urls")),
    path("intake/", include("practica.intake.urls")),
    path("claims/", include("practica.claims.urls")),
    path("denials/", include("practica.denials.urls")),
    path("eligibility/", include("practica.eligibility.urls")),
    path("remittance/", include("practica.remittance.urls")),
    path("statements/", include("practica.statements.urls")),
    # The scheduling engine's waitlist emails link here; the claim page lives in the portal.
    path("book/waitlist/<str:token>/", portal_waitlist.waitlist_claim_link, name="waitlist_claim_link"),
    path("health/", core.health, name="health"),
    path("billing/", billing.billing_home, name="billing_home"),
    path("billing/subscription/portal/", billing.subscription_portal, name="billing_subscription_portal"),
    path(
        "billing/subscription/checkout/", billing.subscription_checkout, name="billing_subscription_checkout"
    ),
    path("billing/connect/start/", billing.connect_start, name="billing_connect_start"),
    path("billing/connect/return/", billing.connect_return, name="billing_connect_return"),
    path("billing/patients/<uuid:patient_id>/", billing.patient_ledger, name="billing_patient_ledger"),
    path(
        "billing/patients/<uuid:patient_id>/pay-link/", billing.create_pay_link, name="billing_pay_link_new"
    ),
    path("billing/patients/<uuid:patient_id>/card/", billing.start_card_setup, name="billing_card_setup"),
    path("billing/patients/<uuid:patient_id>/fee/", billing.charge_fee, name="billing_charge_fee"),
    path("billing/payments/<uuid:payment_id>/refund/", billing.refund, name="billing_refund"),
    path("billing/reports/daily/", billing.daily_report, name="billing_daily_report"),
    path("billing/payouts/", billing.payouts, name="billing_payouts"),
    path("billing/export/", billing.practice_export, name="billing_practice_export"),
    path("billing/receipts/<int:entry_id>/", desk_views.receipt, name="billing_receipt"),
    path("billing/receipts/<int:entry_id>/pdf/", desk_views.receipt_download, name="billing_receipt_pdf"),
    path("billing/receipts/<int:entry_id>/email/", desk_views.receipt_email, name="billing_receipt_email"),
    path("pay/thanks/", desk_views.card_thanks, name="billing_card_thanks"),
    path("pay/<str:token>/", billing.pay_link, name="pay_link"),
    path("notifications/", include("notifications.urls")),
]
