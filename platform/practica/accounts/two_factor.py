"""A staff login's second factor (django-otp's TOTP devices): enrolling the first authenticator,
and proving an existing one.

Once a login has a confirmed device, no session may enrol another: a session that was never
verified (opened with the password alone, say before the practice required two factors) must give
a code from the device the login already has. Every device change is written to the audit trail
and emailed to the person (an outbox row written with the change, sent by the workers).
"""

from django.db import transaction
from django.template.loader import render_to_string
from django_otp import match_token
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from notifications.account_emails import queue_account_email
from practica.accounts.errors import AccessError
from practica.accounts.models import User
from practica.accounts.selectors import practices_for_user
from practica.audit.models import AuditEvent
from practica.audit.services import record
from practica.core.links import public_url
from practica.core.tenancy import current_schema

WRONG_CODE = "That code is not valid. Scan the code again and enter the newest 6 digits."


def has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(user: User) -> TOTPDevice:
    """The authenticator being set up (the same secret on a reload, until it is confirmed)."""
    if has_confirmed_device(user):
        raise AccessError("You already have an authenticator: enter a code from it.")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def confirm_first_device(*, user: User, device: TOTPDevice, token: str) -> TOTPDevice | None:
    """Turn the pending authenticator on with a code it shows; None for a wrong code (returned, not
    raised, so that django-otp's throttling of the device is committed). The login's row is locked
    first, so two sessions confirming at once cannot both add one: the second finds the first's."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    if has_confirmed_device(user):
        raise AccessError("You already have an authenticator: enter a code from it.")
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
    if not device.verify_token(token):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_device_change(user, device, added=True)
    return device


def prove_existing_device(*, user: User, token: str) -> Device:
    """A code from one of the login's confirmed devices (the only way for a session that was never
    verified to become verified once the login has one)."""
    device = match_token(user, token)
    if device is None:
        raise AccessError("That code is not valid. Check your authenticator app's clock and try again.")
    return device


def record_device_change(user: User, device: Device, *, added: bool) -> None:
    """Audited where it happened (the practice of the request; from the public site, every practice
    the person can enter) and emailed to the person through the outbox, in the same transaction
    (whoever made the change: if it was not them, they know to act)."""
    action = AuditEvent.Action.CREATE if added else AuditEvent.Action.DELETE
    if current_schema() != "public":
        record(action, device)
    else:
        for practice in practices_for_user(user):
            with tenant_context(practice):
                record(action, device)
    context = {"user": user, "device_name": device.name, "added": added, "login": public_url("/login/")}
    queue_account_email(
        to=user.email,
        subject="An authenticator was " + ("added to" if added else "removed from") + " your Practica login",
        body=render_to_string("accounts/email/device_change.txt", context),
    )
