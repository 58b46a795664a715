"""Signed, expiring links for the portal. Each token names the practice schema it was made in,
so a link of practice A does nothing on practice B's host."""

from typing import Any

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing

from portal.models import PortalAccount
from practica.core.tenancy import current_schema

VERIFY_SALT = "practica.portal.verify-email"
INVITE_SALT = "practica.portal.invite"
VERIFY_MAX_AGE_SECONDS = 3 * 24 * 3600
INVITE_MAX_AGE_SECONDS = 14 * 24 * 3600


def _dump(data: dict[str, str], salt: str) -> str:
    return signing.dumps({**data, "schema": current_schema()}, salt=salt)


def _load(token: str, salt: str, max_age: int) -> dict[str, Any] | None:
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:  # also SignatureExpired
        return None
    if not isinstance(data, dict) or data.get("schema") != current_schema():
        return None
    return data


def make_verification_token(account: PortalAccount) -> str:
    # The email is signed too: changing the address makes older links worthless.
    return _dump({"account": str(account.pk), "email": account.email.lower()}, VERIFY_SALT)


def read_verification_token(token: str) -> tuple[str, str] | None:
    data = _load(token, VERIFY_SALT, VERIFY_MAX_AGE_SECONDS)
    return (data["account"], data["email"]) if data else None


def make_invitation_token(patient_id: str, email: str) -> str:
    return _dump({"patient": patient_id, "email": email.lower()}, INVITE_SALT)


def read_invitation_token(token: str) -> tuple[str, str] | None:
    data = _load(token, INVITE_SALT, INVITE_MAX_AGE_SECONDS)
    return (data["patient"], data["email"]) if data else None


class PasswordResetTokens(PasswordResetTokenGenerator):
    """Django's reset tokens, keyed on the portal account: a token dies once the password changes
    or the account signs in (both change the hashed value), or after PASSWORD_RESET_TIMEOUT."""

    key_salt = "practica.portal.password-reset"

    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        login = "" if user.last_login is None else user.last_login.replace(microsecond=0, tzinfo=None)
        return f"{current_schema()}{user.pk}{user.password}{login}{timestamp}{user.email}"


password_reset_tokens = PasswordResetTokens()
