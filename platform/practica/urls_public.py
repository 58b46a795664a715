"""URLs of the public site at BASE_DOMAIN: marketing, signup, sign-in, billing companies."""

from django.urls import path

from notifications import webhooks as notification_webhooks
from practica.accounts import views as accounts
from practica.core import views as core
from practica.patient_billing import webhooks as stripe_webhooks
from tenants import views as tenants

urlpatterns = [
    path("", tenants.home, name="home"),
    path("pricing/", tenants.pricing, name="pricing"),
    path("signup/", tenants.signup, name="signup"),
    path("login/", accounts.login_view, name="login"),
    path("login/verify/", accounts.login_verify, name="login_verify"),
    path("login/forgot/", accounts.password_forgotten, name="password_forgotten"),
    path(
        "login/reset/<str:user_id>/<str:token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("logout/", accounts.logout_view, name="logout"),
    path("account/two-factor/", accounts.two_factor_setup, name="two_factor_setup"),
    path("account/password/", accounts.password_change, name="password_change"),
    path("practices/", accounts.my_practices, name="my_practices"),
    path("go/<slug:slug>/", accounts.go_to_practice, name="go_to_practice"),
    path("health/", core.health, name="health"),
    path("stripe/webhooks/platform/", stripe_webhooks.platform_webhook, name="stripe_platform_webhook"),
    path("stripe/webhooks/connect/", stripe_webhooks.connect_webhook, name="stripe_connect_webhook"),
    path("twilio/sms/inbound/", notification_webhooks.inbound_sms, name="twilio_inbound_sms"),
]
