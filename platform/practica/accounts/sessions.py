"""Sessions are bound to the host they were opened on (public site or one practice), and the open
sockets of a session follow it (see practica.core.access)."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, login, logout
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device

from practica.accounts.models import User
from practica.accounts.roles import Capability, role_can
from practica.accounts.selectors import access_in_practice
from practica.core import access
from practica.core.tenancy import current_schema
from tenants.models import Practice

SESSION_PRACTICE_KEY = "practica_schema"
PUBLIC_SITE = "public"


def session_practice(request: HttpRequest) -> str | None:
    return request.session.get(SESSION_PRACTICE_KEY)


def start_session(request: HttpRequest, user: User, device: Device | None = None) -> None:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[SESSION_PRACTICE_KEY] = current_schema()
    if device is not None:
        otp_login(request, device)


def end_session(request: HttpRequest) -> None:
    """Sign out, and close the session's sockets once the transaction commits."""
    key = request.session.session_key
    if key:
        access.announce_on_commit([access.session_subject(key)])
    logout(request)


def access_changed_for(user_ids: list[Any]) -> None:
    """These logins' access changed (role, deactivation, password, a billing company's grant):
    once committed, each of their open sockets checks itself again, and closes if it must."""
    access.announce_on_commit([access.user_subject(user_id) for user_id in user_ids])


def end_sessions_of(user_id: Any) -> int:
    """Every session of this login, on every host (the public site and each practice), ends now:
    the rows go, and each session's open sockets close once the transaction commits.

    Sessions are not indexed by person, so the unexpired ones are read and decoded: a rare,
    deliberate act (taking someone's access away), not a hot path."""
    ended = [
        key
        for key, data in Session.objects.filter(expire_date__gt=timezone.now())
        .values_list("session_key", "session_data")
        .iterator()
        if str(SessionStore().decode(data).get(SESSION_KEY)) == str(user_id)
    ]
    Session.objects.filter(session_key__in=ended).delete()
    access.announce_on_commit([access.session_subject(key) for key in ended])
    return len(ended)


def confirmed_device_of(user: User, persistent_id: str) -> Device | None:
    device = Device.from_persistent_id(persistent_id, for_verify=False)
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device


def verified_by_second_factor(user: User, data: dict[str, Any]) -> bool:
    """Whether the session holds a confirmed device of this user (django-otp's login)."""
    persistent_id = data.get(DEVICE_ID_SESSION_KEY)
    return isinstance(persistent_id, str) and confirmed_device_of(user, persistent_id) is not None


def _session_data(session_key: str) -> tuple[dict[str, Any], datetime.datetime] | None:
    row = Session.objects.filter(session_key=session_key).values_list("session_data", "expire_date").first()
    if row is None:
        return None
    return SessionStore().decode(row[0]), row[1]


def _auth_hash_matches(user: User, data: dict[str, Any]) -> bool:
    """As django.contrib.auth.get_user: a password change since sign-in ends the session."""
    session_hash = data.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    return constant_time_compare(session_hash, user.get_session_auth_hash()) or any(
        constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash()
    )


@dataclass(frozen=True)
class StaffAccess:
    role: str
    idle_deadline: float  # when the session runs out unless a page is used (practica.core.access.now)
    billing_company: str | None = None  # the company's name when the role is its grant


def staff_socket_access(
    session_key: str, practice: Practice, user_id: int, capability: Capability
) -> StaffAccess | None:
    """The staff session `session_key`, as it stands now, at `practice`: None unless it is still
    open, still this user's (same password), opened at this practice, verified by a second factor
    where the practice requires one, and the user's current role there has `capability`. A
    suspended practice lets no socket in. Runs in the practice's tenant context (a socket's
    database call)."""
    found = _session_data(session_key)
    if found is None:
        return None
    data, expires = found
    deadline = expires.timestamp()
    if deadline <= access.now() or str(data.get(SESSION_KEY)) != str(user_id):
        return None
    if data.get(BACKEND_SESSION_KEY) is None or data.get(SESSION_PRACTICE_KEY) != practice.schema_name:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    current = Practice.objects.filter(pk=practice.pk).first()
    if user is None or current is None or current.status == Practice.Status.SUSPENDED:
        return None
    if not _auth_hash_matches(user, data):
        return None
    if current.require_staff_two_factor and not verified_by_second_factor(user, data):
        return None
    granted = access_in_practice(user, current)
    if granted is None or not role_can(granted.role, capability):
        return None
    return StaffAccess(role=granted.role, idle_deadline=deadline, billing_company=granted.billing_company)


def staff_socket_subjects(session_key: str, practice: Practice, user_id: int) -> list[str]:
    return [
        access.session_subject(session_key),
        access.user_subject(user_id),
        access.practice_subject(practice.schema_name),
    ]
