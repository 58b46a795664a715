"""The patient's portal session, kept apart from staff sign-in.

A staff session is django.contrib.auth's (`request.user`); a patient session is three keys of our
own. Neither grants the other anything: staff views look only at `request.user`, portal views only
at these keys, and a session never holds both (signing in to the portal starts a fresh session,
and a session carrying a staff login is not accepted as a patient's).

A session also holds a digest of the account's password: changing or resetting the password ends
every session opened with the old one. Ending a session closes its sockets (practica.core.access).

A patient with two-factor sign-in on is first only "pending" (password right, code still owed):
a pending session holds other keys than a signed-in one, so no portal page takes it for a
patient's.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from portal.locale import use_patient_language
from portal.models import PortalAccount, ProxyLink
from practica.audit import context as audit
from practica.core import access
from practica.core.net import client_ip
from practica.core.tenancy import current_schema
from practica.patients.models import Patient
from tenants.models import Practice

ACCOUNT_KEY = "portal_account"
SCHEMA_KEY = "portal_schema"
SEEN_KEY = "portal_seen"
PASSWORD_KEY = "portal_password"  # noqa: S105  password_stamp() of the account at sign-in
ACTING_FOR_KEY = "portal_acting_for"  # a patient the account is a proxy of, chosen in the portal
PENDING_ACCOUNT_KEY = "portal_pending_account"  # password checked, second factor owed
PENDING_SCHEMA_KEY = "portal_pending_schema"
PENDING_SINCE_KEY = "portal_pending_since"
PENDING_NEXT_KEY = "portal_pending_next"
PENDING_SECONDS = 5 * 60  # time to type the code; then the password is asked again

View = Callable[..., HttpResponse]


def idle_seconds() -> int:
    return int(getattr(settings, "PORTAL_IDLE_SECONDS", 15 * 60))


def password_stamp(account: PortalAccount) -> str:
    """A digest of the account's password hash: sessions opened before a password change hold
    another one, and end."""
    return salted_hmac("practica.portal.session-password", account.password).hexdigest()


def _password_matches(account: PortalAccount, data: Any) -> bool:
    return constant_time_compare(str(data.get(PASSWORD_KEY, "")), password_stamp(account))


def _flush(request: HttpRequest) -> None:
    """A new, empty session; the old one's sockets close."""
    key = request.session.session_key
    if key:
        access.announce_on_commit([access.session_subject(key)])
    request.session.flush()


def start_portal_session(request: HttpRequest, account: PortalAccount) -> None:
    _flush(request)  # a new key (no fixation) and no staff login left in it
    request.session[ACCOUNT_KEY] = str(account.pk)
    request.session[SCHEMA_KEY] = current_schema()
    request.session[SEEN_KEY] = int(time.time())
    request.session[PASSWORD_KEY] = password_stamp(account)
    PortalAccount.objects.filter(pk=account.pk).update(last_login=timezone.now())


def start_pending_sign_in(request: HttpRequest, account: PortalAccount, next_url: str) -> None:
    _flush(request)  # as for a full sign-in: a new key, nothing of an earlier login left
    request.session[PENDING_ACCOUNT_KEY] = str(account.pk)
    request.session[PENDING_SCHEMA_KEY] = current_schema()
    request.session[PENDING_SINCE_KEY] = int(time.time())
    request.session[PENDING_NEXT_KEY] = next_url


def pending_sign_in(request: HttpRequest) -> tuple[PortalAccount, str] | None:
    """The account whose code is owed at this practice and where to go after it, or None (a
    pending step older than PENDING_SECONDS, or the idle limit if shorter, is forgotten)."""
    account_id = request.session.get(PENDING_ACCOUNT_KEY)
    if not account_id or getattr(request, "practice", None) is None or request.user.is_authenticated:
        return None
    if request.session.get(PENDING_SCHEMA_KEY) != current_schema():
        return None  # started at another practice
    since = int(request.session.get(PENDING_SINCE_KEY, 0))
    if time.time() - since > min(PENDING_SECONDS, idle_seconds()):
        end_portal_session(request)
        return None
    account = (
        PortalAccount.objects.select_related("patient")
        .filter(pk=account_id, is_active=True, email_verified_at__isnull=False)
        .first()
    )
    if account is None:
        return None
    return account, str(request.session.get(PENDING_NEXT_KEY) or reverse("portal:home"))


def end_portal_session(request: HttpRequest) -> None:
    _flush(request)


def end_portal_sessions_of(account: PortalAccount) -> None:
    """After a password change or reset: the sessions themselves end at their next request (their
    password digest no longer matches); their sockets are told at once."""
    access.announce_on_commit([access.portal_account_subject(current_schema(), account.pk)])


def session_account(request: HttpRequest) -> PortalAccount | None:
    """The signed-in patient's account at this practice, or None (and the session is ended when it
    has been idle too long)."""
    account_id = request.session.get(ACCOUNT_KEY)
    if not account_id or getattr(request, "practice", None) is None:
        return None
    if request.user.is_authenticated:
        return None
    if request.session.get(SCHEMA_KEY) != current_schema():
        return None  # opened at another practice: worth nothing here
    seen = int(request.session.get(SEEN_KEY, 0))
    if time.time() - seen > idle_seconds():
        end_portal_session(request)
        minutes = idle_seconds() // 60
        messages.info(
            request,
            _("You were signed out after %(minutes)d minutes without activity.") % {"minutes": minutes},
        )
        return None
    account = (
        PortalAccount.objects.select_related("patient", "patient__profile")
        # Whether the account is anyone's proxy, in the same query: the portal menu offers the switch.
        .annotate(is_proxy=Exists(ProxyLink.objects.filter(account=OuterRef("pk"))))
        .filter(pk=account_id, is_active=True, email_verified_at__isnull=False)
        .first()
    )
    if account is None:
        return None
    if not _password_matches(account, request.session):
        end_portal_session(request)  # the password changed since this session was opened
        return None
    request.session[SEEN_KEY] = int(time.time())
    return account


def patient_required(view: View) -> View:
    """Portal pages: a signed-in, verified patient of this practice; otherwise to the portal login."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = session_account(request)
        if account is None:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('portal:login')}?{query}")
        request.portal_account = account  # type: ignore[attr-defined]
        request.patient = acting_patient(request, account)  # type: ignore[attr-defined]
        use_patient_language(request, account.patient)  # the signed-in person's, also when acting for a child
        with audit.acting_as(patient_actor(request, account, request.patient)):  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

    return wrapped


def patient_actor(request: HttpRequest, account: PortalAccount, patient: Patient) -> audit.Actor:
    """Who the audit trail names for a signed-in patient's changes: the account (its email) and
    the record it acts for (its own, or a child's when acting as their proxy)."""
    return audit.patient(patient.pk, account.email, client_ip(request), request.headers.get("User-Agent", ""))


def acting_patient(request: HttpRequest, account: PortalAccount) -> Patient:
    """The record the portal shows: the account's own, or a patient it is a proxy of when the
    guardian chose one. The link is looked up on every request, so removing it ends access at once."""
    acting_for = request.session.get(ACTING_FOR_KEY)
    if acting_for and acting_for != str(account.patient_id):
        link = (
            ProxyLink.objects.select_related("patient").filter(account=account, patient_id=acting_for).first()
        )
        if link is not None:
            return link.patient
        del request.session[ACTING_FOR_KEY]
    return account.patient


@dataclass(frozen=True)
class PatientAccess:
    patient_id: Any
    idle_deadline: float  # when the session runs out unless a page is used (practica.core.access.now)
    email: str = ""  # the account's, for the audit trail


def patient_socket_access(session_key: str, practice: Practice, account_id: str) -> PatientAccess | None:
    """The portal session `session_key`, as it stands now: None unless it is still open, opened at
    this practice for this account with its current password, not idle past the limit, the account
    still active and the practice not suspended. Runs in the practice's tenant context."""
    row = Session.objects.filter(session_key=session_key).values_list("session_data", "expire_date").first()
    if row is None or row[1].timestamp() <= access.now():
        return None
    data = SessionStore().decode(row[0])
    if SESSION_KEY in data or data.get(SCHEMA_KEY) != practice.schema_name:
        return None
    if str(data.get(ACCOUNT_KEY)) != str(account_id):
        return None
    deadline = int(data.get(SEEN_KEY, 0)) + idle_seconds()
    if deadline <= access.now():
        return None
    account = PortalAccount.objects.filter(
        pk=account_id, is_active=True, email_verified_at__isnull=False
    ).first()
    if account is None or not _password_matches(account, data):
        return None
    if Practice.objects.filter(pk=practice.pk, status=Practice.Status.SUSPENDED).exists():
        return None
    return PatientAccess(patient_id=account.patient_id, idle_deadline=float(deadline), email=account.email)


def patient_socket_subjects(session_key: str, practice: Practice, account_id: str) -> list[str]:
    return [
        access.session_subject(session_key),
        access.portal_account_subject(practice.schema_name, account_id),
        access.practice_subject(practice.schema_name),
    ]
