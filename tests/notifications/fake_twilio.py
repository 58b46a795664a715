"""A tiny HTTP server on loopback that answers like Twilio does when things go wrong
(rate limits, outages, permanent errors), which a spec mock cannot be told to do per request."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeTwilio:
    def __init__(self) -> None:
        self.replies: list[tuple[int, dict[str, object]]] = []
        self.requests: list[dict[str, list[str]]] = []
        self.url = ""

    def reply(self, status: int, code: int | None = None, sid: str = "SM" + "f" * 32) -> None:
        if status < 300:
            self.replies.append((status, {"sid": sid, "status": "queued"}))
        else:
            self.replies.append((status, {"code": code, "message": f"error {code}", "status": status}))


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            fake.requests.append(parse_qs(self.rfile.read(length).decode()))
            status, payload = fake.replies.pop(0) if fake.replies else (201, {"sid": "SM" + "e" * 32})
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
