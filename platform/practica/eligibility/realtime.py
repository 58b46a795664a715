"""How a 270 reaches a payer and its 271 comes back while someone waits: a real-time adapter.

The seam beside the claims' clearinghouse (`practica.claims.clearinghouse`, files in batches) is
`RealtimeClearinghouse`: `exchange(x12_270, payer_id)` returns the 271 text or raises
`RealtimeFailed` saying why. Shipped: `CoreClearinghouse`, which speaks the CAQH CORE real-time
connectivity envelope (Phase II Connectivity Rule 270, HTTP MIME multipart): the 270 goes as the
`Payload` field beside `PayloadType`, `ProcessingMode` RealTime, `PayloadID`, `TimeStamp`,
`SenderID`, `ReceiverID` and `CORERuleVersion`; the clearinghouse answers with the same fields, the
271 in `Payload` (or an `ErrorCode` and `ErrorMessage`).

It gives up on a request after `timeout` seconds, tries again (`retries` times, waiting `backoff`,
doubled each time) after a timeout, a refused connection or a 5xx, never after a 4xx or an
envelope error, and sends no more than `per_payer_per_second` requests a second to any one payer
(a token bucket in this process: each worker keeps its own, so the clearinghouse's own limit
should be shared out between workers).
"""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from practica.eligibility.errors import EligibilityError

PAYLOAD_270 = "X12_270_Request_005010X279A1"
PAYLOAD_271 = "X12_271_Response_005010X279A1"
CORE_RULE_VERSION = "2.2.0"


class RealtimeFailed(EligibilityError):
    """No 271 came back. `retryable`: a later try may work (timeouts, the payer down)."""

    code = "realtime_failed"

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class RealtimeClearinghouse(Protocol):
    name: str

    def exchange(self, x12_270: str, *, payer_id: str) -> str:
        """The 271 answering this 270. Raises RealtimeFailed."""
        ...


@dataclass
class RateLimiter:
    """At most `rate` requests a second per key (a payer), bursts of up to `burst`; `acquire`
    waits for a token. Thread-safe within a process."""

    rate: float
    burst: int = 1
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def acquire(self, key: str) -> float:
        """Takes a token for `key`; returns how long it waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self.clock()
                tokens, last = self._state.get(key, (float(self.burst), now))
                tokens = min(float(self.burst), tokens + (now - last) * self.rate)
                if tokens >= 1:
                    self._state[key] = (tokens - 1, now)
                    return waited
                self._state[key] = (tokens, now)
                wait = (1 - tokens) / self.rate
            self.sleep(wait)
            waited += wait


def _multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = f"practica-{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def read_multipart(body: bytes, content_type: str) -> dict[str, str]:
    """The named fields of a multipart/form-data body (CORE's envelope)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("the body is not MIME multipart")
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True)
            raw = payload if isinstance(payload, bytes) else b""
            fields[str(name)] = raw.decode("utf-8", "replace").strip("\r\n")
    return fields


class CoreClearinghouse:
    """CAQH CORE real-time over HTTP(S), MIME multipart."""

    name = "core"

    def __init__(
        self,
        url: str,
        *,
        sender_id: str,
        receiver_id: str,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        per_payer_per_second: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        limiter: RateLimiter | None = None,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise EligibilityError(f"{url!r} is not an http(s) address.", "realtime_url")
        self.url = url
        self.sender_id = sender_id
        self.receiver_id = receiver_id
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.limiter = limiter or RateLimiter(per_payer_per_second, burst=max(1, int(per_payer_per_second)))

    def exchange(self, x12_270: str, *, payer_id: str) -> str:
        delay = self.backoff
        for attempt in range(self.retries + 1):
            try:
                return self._once(x12_270, payer_id)
            except RealtimeFailed as failure:
                if not failure.retryable or attempt == self.retries:
                    raise
            self.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, x12_270: str, payer_id: str) -> str:
        self.limiter.acquire(payer_id)
        payload_id = str(uuid.uuid4())
        body, content_type = _multipart(
            {
                "PayloadType": PAYLOAD_270,
                "ProcessingMode": "RealTime",
                "PayloadID": payload_id,
                "TimeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "SenderID": self.sender_id,
                "ReceiverID": self.receiver_id,
                "CORERuleVersion": CORE_RULE_VERSION,
                "Payload": x12_270,
            }
        )
        # The scheme was checked in __init__: http(s) only.
        request = urllib.request.Request(  # noqa: S310
            self.url, data=body, method="POST", headers={"Content-Type": content_type}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer, answer_type = response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            raise RealtimeFailed(
                f"the clearinghouse answered HTTP {exc.code}", retryable=exc.code >= 500 or exc.code == 429
            ) from None
        except TimeoutError:
            raise RealtimeFailed(
                f"the clearinghouse did not answer within {self.timeout:g} s", retryable=True
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError | socket.timeout):
                raise RealtimeFailed(
                    f"the clearinghouse did not answer within {self.timeout:g} s", retryable=True
                ) from None
            raise RealtimeFailed(f"could not reach the clearinghouse ({reason})", retryable=True) from None
        try:
            fields = read_multipart(answer, answer_type)
        except ValueError as exc:
            raise RealtimeFailed(
                f"the clearinghouse's answer is not a CORE envelope ({exc})", retryable=False
            ) from None
        if fields.get("ErrorCode") and fields["ErrorCode"] != "Success":
            retry = fields["ErrorCode"] in ("ServerBusy", "Timeout")
            said = f"{fields['ErrorCode']} {fields.get('ErrorMessage', '')}".strip()
            raise RealtimeFailed(f"the clearinghouse refused the request: {said}", retryable=retry)
        if fields.get("PayloadType") != PAYLOAD_271 or not fields.get("Payload"):
            raise RealtimeFailed(
                f"the clearinghouse's answer carries {fields.get('PayloadType') or 'no payload type'}, "
                "not a 271",
                retryable=False,
            )
        return fields["Payload"]
