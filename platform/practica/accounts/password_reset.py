"""A staff member who forgot their password resets it by email.

The link is Django's reset token (signed with the secret key), keyed on the login's password and
last sign-in, so it dies once used or once the person signs in; it also dies after
RESET_LINK_SECONDS. The email is an account-email outbox row of the request's transaction, sent by
the workers. Whether or not the address belongs to anyone, the person asking sees the same page;
requests are capped per address (silently: the cap must not tell that the address exists) and
per network address (with a message: that tells nothing about anyone's login).
"""

import dataclasses
from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.http import base36_to_int
from django_tenants.utils import schema_context, tenant_context

from notifications.account_emails import queue_account_email
from practica.accounts import services
from practica.accounts.errors import AccessError
from practica.accounts.models import User
from practica.accounts.selectors import practices_for_user, role_in_practice
from practica.accounts.sessions import end_sessions_of
from practica.audit.context import acting_as, current_actor
from practica.audit.models import AuditEvent
from practica.audit.services import record
from practica.core.links import practice_url, public_url
from practica.core.tenancy import current_schema

RESET_LINK_SECONDS = 60 * 60
REQUESTS_PER_EMAIL_PER_HOUR = 3
REQUESTS_PER_ADDRESS_PER_HOUR = 10
WINDOW_SECONDS = 60 * 60


class StaffResetTokens(PasswordResetTokenGenerator):
    """Django's reset tokens with a salt of their own and a shorter life than its setting."""

    key_salt = "practica.staff.password-reset"

    def check_token(self, user: Any, token: str | None) -> bool:
        if not token or not super().check_token(user, token):
            return False
        try:
            made_at = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        return self._num_seconds(self._now()) - made_at <= RESET_LINK_SECONDS


reset_tokens = StaffResetTokens()


def reset_limit_key(kind: str, value: str) -> str:
    """The public-keyspace cache key counting reset requests per "email" or per network "address"."""
    digest = salted_hmac("practica.staff.reset-limit", value.lower()).hexdigest()[:32]
    return f"staff-reset-{kind}:{digest}"


def _over_limit(kind: str, value: str, limit: int) -> bool:
    """Count one request against `value`; True once it is past `limit` this hour. Kept in the public
    keyspace: a person asks from any practice's host or the public site, all counted together."""
    key = reset_limit_key(kind, value)
    with schema_context("public"):
        cache.add(key, 0, WINDOW_SECONDS)  # the window starts at the first request
        return int(cache.incr(key)) > limit


def _record_where_it_happened(user: User, changed: str) -> None:
    """On a practice's host, in that practice's trail; from the public site, in the trail of every
    practice the person can enter, one at a time."""
    if current_schema() != "public":
        record(AuditEvent.Action.UPDATE, user, [changed])
        return
    for practice in practices_for_user(user):
        with tenant_context(practice):
            record(AuditEvent.Action.UPDATE, user, [changed])


def _reset_link(user: User) -> str:
    path = reverse("password_reset_confirm", args=[user.pk, reset_tokens.make_token(user)])
    if current_schema() == "public":
        return public_url(path)
    return practice_url(connection.tenant.slug, path)  # type: ignore[attr-defined]


@transaction.atomic
def request_password_reset(email: str, ip: str | None) -> None:
    """Queue a reset link to the login with this address, if there is one that may sign in here
    (on a practice's host: a person with a role there). Raises AccessError only for the network
    address's cap; every other outcome looks the same to the person asking."""
    if ip and _over_limit("address", ip, REQUESTS_PER_ADDRESS_PER_HOUR):
        raise AccessError("Too many requests from your network. Please try again in an hour.")
    email = email.strip().lower()
    if _over_limit("email", email, REQUESTS_PER_EMAIL_PER_HOUR):
        return
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return
    practice = getattr(connection, "tenant", None)
    if current_schema() != "public" and (practice is None or role_in_practice(user, practice) is None):
        return  # the page must not tell who works where
    _record_where_it_happened(user, "password_reset_requested")
    context = {"user": user, "link": _reset_link(user), "minutes": RESET_LINK_SECONDS // 60}
    queue_account_email(
        to=user.email,
        subject="Reset your Practica password",
        body=render_to_string("accounts/email/password_reset.txt", context),
        practice_schema="" if current_schema() == "public" else current_schema(),
    )


def user_for_reset(user_id: str, token: str) -> User | None:
    """The login a reset link is for, while the link is good (unused, unexpired, untampered)."""
    if not user_id.isdigit() or len(user_id) > 18:  # a link cut short or made up: no lookup
        return None
    user = User.objects.filter(pk=int(user_id), is_active=True).first()
    if user is None or not reset_tokens.check_token(user, token):
        return None
    return user


@transaction.atomic
def reset_password(user: User, token: str, password: str) -> None:
    """Set the new password and end every session of the login, on every host. The token is
    checked again under a row lock, so two submissions of one link cannot both succeed."""
    locked = User.objects.select_for_update().filter(pk=user.pk, is_active=True).first()
    if locked is None or not reset_tokens.check_token(locked, token):
        raise AccessError("This reset link is invalid, used or expired. Please ask for a new one.")
    try:
        services.set_password(user=locked, password=password)
    except ValidationError as error:
        raise AccessError(" ".join(error.messages)) from error
    end_sessions_of(locked.pk)
    # Whoever holds the link proved the inbox: the trail names the login, from the visitor's address.
    with acting_as(dataclasses.replace(current_actor.get(), user_id=locked.pk, email=locked.email)):
        _record_where_it_happened(locked, "password")
