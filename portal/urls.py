from django.urls import path

from portal import intake_views, messaging_views, staff_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
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
    # Back office (staff sign-in): POST to send a patient their portal invitation.
    path("staff/invite/<uuid:patient_id>/", staff_views.invite_patient, name="staff_invite"),
]
