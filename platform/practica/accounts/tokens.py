"""Signed, expiring tokens: staff invitations and the one-time hand-off that logs a person
into another practice's subdomain (cookies are per host, so each subdomain has its own session)."""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django_tenants.utils import schema_context

from practica.core.tenancy import current_schema

INVITATION_SALT = "practica.invitation"
HANDOFF_SALT = "practica.handoff"


def make_invitation_token(invitation_id: int) -> str:
    return signing.dumps({"invitation": invitation_id}, salt=INVITATION_SALT)


class InvitationLinkError(Exception):
    """Why an invitation link cannot be used; the message is shown to the person who opened it."""


def read_invitation_token(token: str) -> int:
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=settings.INVITATION_MAX_AGE_SECONDS)
    except signing.SignatureExpired as error:
        raise InvitationLinkError("This invitation link has expired.") from error
    except signing.BadSignature as error:
        raise InvitationLinkError(
            "This invitation link is not valid. Check that it was copied whole."
        ) from error
    return int(data["invitation"])


@dataclass(frozen=True)
class Handoff:
    user_id: int
    schema_name: str
    otp_device: str | None


def make_handoff_token(user_id: int, schema_name: str, otp_device: str | None) -> str:
    payload = {"u": user_id, "s": schema_name, "d": otp_device, "n": secrets.token_urlsafe(12)}
    return signing.dumps(payload, salt=HANDOFF_SALT)


def use_handoff_token(token: str) -> Handoff | None:
    """Valid once, for one practice, for HANDOFF_MAX_AGE_SECONDS."""
    try:
        data = signing.loads(token, salt=HANDOFF_SALT, max_age=settings.HANDOFF_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if data["s"] != current_schema():
        return None
    # The nonce is remembered in the public keyspace; cache.add is atomic, so a replay fails.
    with schema_context("public"):
        first_use = cache.add(f"handoff:{data['n']}", 1, timeout=settings.HANDOFF_MAX_AGE_SECONDS * 2)
    if not first_use:
        return None
    return Handoff(user_id=int(data["u"]), schema_name=data["s"], otp_device=data["d"])
