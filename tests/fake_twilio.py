"""A small stand-in for Twilio's REST API on loopback, for the real `twilio` library to talk
to (sending/sms.py points it here through TWILIO_API_BASE_URL). It answers the one endpoint
the outbox calls, POST /2010-04-01/Accounts/{sid}/Messages.json, as Twilio documents it:
HTTP Basic auth with the account SID and auth token, a form body (To, From or
MessagingServiceSid, Body), 201 with the message resource in JSON. It keeps what it
accepted, and can fail for a period (503 with Twilio's error shape, as when Twilio has an
outage), refuse a number (400, code 21211), or stop listening."""

import base64
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from tests.loopback import free_port

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "loopback-auth-token"
FROM = "+447400000001"


@dataclass(frozen=True)
class Sent:
    sid: str
    to: str
    sender: str
    body: str


class FakeTwilio:
    def __init__(self):
        self.port = free_port()
        self._lock = threading.Lock()
        self._sent: list[Sent] = []
        self.requests = 0
        self.failed_requests = 0
        self.fail_until = 0.0  # time.monotonic() before which every send gets a 503
        self.refuse_numbers: set[str] = set()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                fake._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def fail_for(self, seconds: float) -> None:
        self.fail_until = time.monotonic() + seconds

    def clear(self) -> None:
        with self._lock:
            self._sent.clear()
            self.requests = self.failed_requests = 0
        self.fail_until = 0.0
        self.refuse_numbers = set()

    @property
    def sent(self) -> list[Sent]:
        with self._lock:
            return list(self._sent)

    def counts_by_number(self) -> Counter:
        return Counter(sent.to for sent in self.sent)

    def _reply(self, handler, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(body)

    def _error(self, handler, status: int, code: int, message: str) -> None:
        self._reply(
            handler, status, {"code": code, "message": message, "more_info": "", "status": status}
        )

    def _handle(self, handler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
        with self._lock:
            self.requests += 1
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        if handler.headers.get("Authorization") != expected:
            return self._error(handler, 401, 20003, "Authenticate")
        if handler.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            return self._error(handler, 404, 20404, "The requested resource was not found")
        if time.monotonic() < self.fail_until:
            with self._lock:
                self.failed_requests += 1
            return self._error(handler, 503, 20503, "Service unavailable")
        to = form.get("To", "")
        if not to.startswith("+") or to in self.refuse_numbers:
            return self._error(handler, 400, 21211, f"The 'To' number {to} is not valid.")
        sent = Sent(
            sid="SM" + uuid.uuid4().hex,
            to=to,
            sender=form.get("From") or form.get("MessagingServiceSid", ""),
            body=form.get("Body", ""),
        )
        with self._lock:
            self._sent.append(sent)
        self._reply(
            handler,
            201,
            {
                "sid": sent.sid,
                "account_sid": ACCOUNT_SID,
                "to": sent.to,
                "from": form.get("From"),
                "body": sent.body,
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sent.sid}.json",
            },
        )
