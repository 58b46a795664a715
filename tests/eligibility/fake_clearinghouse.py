"""A FAKE clearinghouse for tests and benchmarks: no real clearinghouse can run here, so this small
stateful HTTP server on loopback speaks the CAQH CORE real-time envelope (MIME multipart) and
answers each 270 with a 271 from what it was told about each member id.

State: `members` (member id -> `Answer`), `requests` (every envelope received), `fail_next` (HTTP
statuses, or "hang", to answer the next requests with), `latency` (seconds before each answer).
Unknown member ids are answered "subscriber not found" (AAA 75), or by `default` when given.

`python -m tests.eligibility.fake_clearinghouse --port N` serves it for the demo (bin/run), with
`demo_answer`: every member active but ids ending in 3 (inactive) and 7 (not found).
"""

from __future__ import annotations

import argparse
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from practica.eligibility.realtime import PAYLOAD_270, PAYLOAD_271, _multipart, read_multipart
from practica.x12.inquiry270 import EligibilityInquiry, read_270


@dataclass(frozen=True)
class Answer:
    status: str = "active"  # active, inactive, not_found, garbage
    plan: str = "PPO SILVER"
    copay_cents: int = 2500
    deductible_cents: int = 150000
    deductible_remaining_cents: int = 40000


def build_271(inquiry: EligibilityInquiry, answer: Answer | None) -> str:
    """A 271 answering the inquiry (its trace number echoed)."""
    s = inquiry.subscriber
    patient = inquiry.dependent
    segments = [
        f"BHT*0022*11*{inquiry.reference}*20261102*0905",
        "HL*1**20*1",
        f"NM1*PR*2*{inquiry.payer_name}*****PI*{inquiry.payer_id}",
        "HL*2*1*21*1",
        f"NM1*1P*2*{inquiry.provider.last}*****XX*{inquiry.provider.npi}",
        f"HL*3*2*22*{1 if patient else 0}",
    ]
    trace = f"TRN*2*{inquiry.trace_number}*{inquiry.trace_originator}"
    if patient is None:
        segments.append(trace)
    segments.append(f"NM1*IL*1*{s.last}*{s.first}****MI*{s.member_id}")
    if patient is not None:
        segments += ["HL*4*3*23*0", trace, f"NM1*03*1*{patient.last}*{patient.first}"]
    if answer is None or answer.status == "not_found":
        segments.append("AAA*Y**75*C")
    elif answer.status == "inactive":
        segments.append(f"EB*6**30**{answer.plan}")
    else:
        dollars = lambda cents: f"{cents / 100:g}"  # noqa: E731
        segments += [
            "REF*6P*G-100*EMPLOYER GROUP",
            f"EB*1**30**{answer.plan}",
            f"EB*B*IND*98***27*{dollars(answer.copay_cents)}*****Y",
            f"EB*C*IND*30***23*{dollars(answer.deductible_cents)}*****Y",
            f"EB*C*IND*30***29*{dollars(answer.deductible_remaining_cents)}*****Y",
            "EB*A*IND*98*****0.2****Y",
        ]
    body = "~".join(segments) + "~"
    count = len(segments) + 2
    return (
        "ISA*00*          *00*          *ZZ*FAKECH         *ZZ*PRACTICA       *261102*0905*^*00501*"
        "000000001*0*T*:~GS*HB*FAKECH*PRACTICA*20261102*0905*1*X*005010X279A1~"
        f"ST*271*0001*005010X279A1~{body}SE*{count}*0001~GE*1*1~IEA*1*000000001~"
    )


class FakeClearinghouse:
    def __init__(
        self, latency: float = 0.0, default: Callable[[str], Answer | None] | None = None, port: int = 0
    ) -> None:
        self.latency = latency
        self.default = default
        self.port = port
        self.members: dict[str, Answer] = {}
        self.requests: list[dict[str, str]] = []
        self.fail_next: deque[int | str] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/core/realtime"

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                fake.answer(self, body)

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        fields = read_multipart(body, handler.headers.get("Content-Type", ""))
        with self._lock:
            self.requests.append(fields)
            failure = self.fail_next.popleft() if self.fail_next else None
        if failure == "hang":
            time.sleep(2)
        if self.latency:
            time.sleep(self.latency)
        if isinstance(failure, int):
            handler.send_response(failure)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if fields.get("PayloadType") != PAYLOAD_270:
            reply = {"ErrorCode": "PayloadTypeIncorrect", "ErrorMessage": "expected a 270"}
        else:
            inquiry = read_270(fields["Payload"])
            member_id = inquiry.subscriber.member_id
            answer = self.members.get(member_id)
            if answer is None and self.default is not None:
                answer = self.default(member_id)
            payload = "ISA*garbage" if answer and answer.status == "garbage" else build_271(inquiry, answer)
            reply = {
                "PayloadType": PAYLOAD_271,
                "ProcessingMode": "RealTime",
                "PayloadID": fields.get("PayloadID", ""),
                "ErrorCode": "Success",
                "Payload": payload,
            }
        content, content_type = _multipart(reply)
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)


class InProcessClearinghouse:
    """The same answers without a server, for tests about what is shown rather than how it is sent."""

    name = "in-process"

    def __init__(self, members: dict[str, Answer] | None = None) -> None:
        self.members = members or {}

    def exchange(self, x12_270: str, *, payer_id: str) -> str:
        inquiry = read_270(x12_270)
        answer = self.members.get(inquiry.subscriber.member_id)
        return "ISA*garbage" if answer and answer.status == "garbage" else build_271(inquiry, answer)


def demo_answer(member_id: str) -> Answer | None:
    """The demo's payers: most members active (copays by the last digit), a few not."""
    last = member_id[-1:]
    if last == "3":
        return Answer(status="inactive")
    if last == "7":
        return None  # not found
    return Answer(copay_cents=2500 if last in "02468" else 4000)


def main() -> None:
    parser = argparse.ArgumentParser(description="The fake real-time clearinghouse, on loopback.")
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    server = FakeClearinghouse(default=demo_answer, port=port)
    print(server.start(), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
