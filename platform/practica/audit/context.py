"""Who is acting, for the audit trail: set by each entry point in a contextvar.

Every way into Practica names its actor once, at the door: the HTTP middleware (a staff user, a
billing company's user or an anonymous visitor), the portal's `patient_required` (the patient),
webhook views (`acts_as(webhook(...))`), the WebSocket consumers, Celery's task_prerun
(`task:<name>`) and manage.py (`command:<name>`).
The database triggers of practica.audit.database read it from there on every write; code inside a
domain never passes it around.
"""

import ipaddress
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar


class Kind:
    """What sort of actor made a change (AuditEvent.actor_kind)."""

    STAFF = "staff"
    BILLING_COMPANY = "billing_company"
    PATIENT = "patient"
    VISITOR = "visitor"  # an HTTP request nobody is signed in to (sign-up, sign-in, a link in an email)
    WEBHOOK = "webhook"  # a signed call of a provider (Twilio's inbound texts and delivery statuses)
    TASK = "task"
    COMMAND = "command"
    SYSTEM = "system"  # none of the above named itself (a shell, a test)


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    email: str = ""
    role: str = ""
    ip_address: str | None = None
    user_agent: str = ""
    kind: str = Kind.SYSTEM
    # The task or command name, the billing company's name, or the patient's record id.
    name: str = ""

    @property
    def label(self) -> str:
        """How the trail shows the actor: their email, or kind:name for tasks and commands."""
        if self.email:
            return self.email
        return f"{self.kind}:{self.name}" if self.name else self.kind


SYSTEM = Actor()
current_actor: ContextVar[Actor] = ContextVar("audit_actor", default=SYSTEM)


def valid_ip(address: str | None) -> str | None:
    """The address if it is one (the database column is inet), else None."""
    if not address:
        return None
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def person(
    *,
    user_id: int | None,
    email: str,
    role: str,
    ip_address: str | None = None,
    user_agent: str = "",
    billing_company: str | None = None,
) -> Actor:
    """A signed-in staff user, or the user of a billing company acting for its client practice."""
    return Actor(
        user_id=user_id,
        email=email,
        role=role,
        ip_address=valid_ip(ip_address),
        user_agent=user_agent[:300],
        kind=Kind.BILLING_COMPANY if billing_company else Kind.STAFF,
        name=billing_company or "",
    )


def patient(patient_id: object, email: str, ip_address: str | None = None, user_agent: str = "") -> Actor:
    """A patient through the portal (or its socket); `patient_id` is the record they act on."""
    return Actor(
        email=email,
        role=Kind.PATIENT,
        ip_address=valid_ip(ip_address),
        user_agent=user_agent[:300],
        kind=Kind.PATIENT,
        name=str(patient_id),
    )


def visitor(ip_address: str | None, user_agent: str = "") -> Actor:
    return Actor(ip_address=valid_ip(ip_address), user_agent=user_agent[:300], kind=Kind.VISITOR)


def task(name: str) -> Actor:
    return Actor(kind=Kind.TASK, name=name)


def command(name: str) -> Actor:
    return Actor(kind=Kind.COMMAND, name=name)


def webhook(name: str) -> Actor:
    return Actor(kind=Kind.WEBHOOK, name=name)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = current_actor.set(actor)
    try:
        yield actor
    finally:
        current_actor.reset(token)


F = TypeVar("F", bound=Callable[..., Any])


def acts_as(actor: Actor) -> Callable[[F], F]:
    """A view (a webhook, say) whose writes are always this actor's, whoever calls it."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            with acting_as(actor):
                return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate
