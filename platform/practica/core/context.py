"""Per-request context shared by logging and audit: the request id, kept in a contextvar."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
