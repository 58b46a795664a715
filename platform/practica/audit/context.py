"""Who is acting, for the audit trail: set per request (or per task) in a contextvar."""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None = None
    email: str = ""
    role: str = ""
    ip_address: str | None = None
    user_agent: str = ""


SYSTEM = Actor(email="system")
current_actor: ContextVar[Actor] = ContextVar("audit_actor", default=SYSTEM)
