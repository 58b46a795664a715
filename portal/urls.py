from django.urls import path

from portal import (
    account_views,
    backoffice_views,
    billing_views,
    intake_views,
    language_views,
    messaging_views,
    profile_views,
    staff_views,
    views,
)

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/code/", account_views.login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", language_views.set_language, name="set_language"),
    path("register/", views.register, name="register"),
    path("verify/<str:token>/", views.verify_email, name="verify_email"),
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("password-reset/", views.password_reset_request, name="password_reset"),
    path(
        "password-reset/<uuid:account_id>/<str:token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("book/", views.book_choose, name="book"),
    path("book/slots/", views.book_slots, name="book_slots"),
    path("book/confirm/", views.book_confirm, name="book_confirm"),
    path("appointments/<uuid:appointment_id>/", views.appointment_detail, name="appointment"),
    path(
        "appointments/<uuid:appointment_id>/calendar.ics", views.appointment_calendar, name="appointment_ics"
    ),
    path("appointments/<uuid:appointment_id>/cancel/", views.appointment_cancel, name="appointment_cancel"),
    path(
        "appointments/<uuid:appointment_id>/reschedule/",
        views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path(
        "appointments/<uuid:appointment_id>/reschedule/confirm/",
        views.appointment_reschedule_confirm,
        name="appointment_reschedule_confirm",
    ),
    path("waitlist/", views.waitlist_join, name="waitlist"),
    path("waitlist/claim/<str:token>/", views.waitlist_claim, name="waitlist_claim"),
    path("forms/", intake_views.forms_to_fill, name="intake_list"),
    path("forms/<uuid:appointment_id>/", intake_views.fill, name="intake_fill"),
    path("forms/<uuid:appointment_id>/signed.pdf", intake_views.signed_pdf, name="intake_signed_pdf"),
    path("forms/files/<uuid:response_id>/", intake_views.document, name="intake_document"),
    path("messages/", messaging_views.message_list, name="messages"),
    path("messages/new/", messaging_views.message_new, name="message_new"),
    path("messages/<uuid:thread_id>/", messaging_views.message_thread, name="message_thread"),
    path("messages/<uuid:thread_id>/since/", messaging_views.message_since, name="message_since"),
    path(
        "messages/<uuid:thread_id>/attachments/<uuid:attachment_id>/",
        messaging_views.message_attachment,
        name="message_attachment",
    ),
    # Back office (staff sign-in): POST to send a patient their portal invitation.
    path("staff/invite/<uuid:patient_id>/", staff_views.invite_patient, name="staff_invite"),
    path("staff/registrations/", backoffice_views.registrations, name="staff_registrations"),
    path(
        "staff/registrations/<uuid:account_id>/confirm/",
        backoffice_views.registration_confirm,
        name="staff_registration_confirm",
    ),
    path(
        "staff/registrations/<uuid:account_id>/merge/",
        backoffice_views.registration_merge,
        name="staff_registration_merge",
    ),
    path("staff/patients/<uuid:patient_id>/proxies/", backoffice_views.proxy_add, name="staff_proxy_add"),
    path(
        "staff/patients/<uuid:patient_id>/proxies/<uuid:link_id>/remove/",
        backoffice_views.proxy_remove,
        name="staff_proxy_remove",
    ),
    path(
        "staff/patients/<uuid:patient_id>/two-factor/off/",
        backoffice_views.two_factor_off,
        name="staff_two_factor_off",
    ),
    path("staff/branding/", backoffice_views.branding_edit, name="staff_branding"),
    # Patient pages: the profile, insurance, and the guardian's choice of record.
    path("profile/", profile_views.profile, name="profile"),
    path("profile/security/", account_views.security, name="security"),
    path("profile/security/off/", account_views.security_off, name="security_off"),
    path("profile/phone/", account_views.phone, name="phone"),
    path("profile/phone/send/", account_views.phone_send, name="phone_send"),
    path("profile/insurance/", profile_views.insurance, name="insurance"),
    path("profile/insurance/<str:side>/", profile_views.insurance_card, name="insurance_card"),
    path("profile/switch/", profile_views.switch_patient, name="switch"),
    path("profile/switch/<uuid:patient_id>/", profile_views.switch_to, name="switch_to"),
    path("balance/", billing_views.balance, name="balance"),
    path("balance/payments/<uuid:payment_id>/", billing_views.payment_detail, name="balance_payment"),
    path("brand/logo/", profile_views.logo, name="logo"),
    path("brand/theme.css", profile_views.theme_css, name="theme_css"),
]
