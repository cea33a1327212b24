"""A small Stripe on loopback for the tests: it answers exactly the endpoints the project
calls (money/stripe_api.py) in Stripe's shapes, honours Idempotency-Key (the same key gets
the first answer, and the fake counts how often a key came), counts the charges it made,
can be told to fail (500 for a while, connection refused, an answer lost after the work was
done), and signs the webhooks it sends with Stripe's scheme (t=..., v1=HMAC-SHA256).

It also serves the hosted payment page of a Checkout Session: a "test card 4242" button
that pays, sends the signed webhook to `webhook_url` (or keeps it in `outbox` for a test to
deliver), and redirects back to the session's success_url. A session in setup mode saves
the card instead (a SetupIntent with a customer and payment method, nothing charged)."""

import hashlib
import hmac
import html
import itertools
import json
import threading
import time
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlparse

from tests.loopback import free_port

SECRET_KEY = "sk_test_fake_lumiere"
WEBHOOK_SECRET = "whsec_fake_lumiere"
_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_fake{next(_ids):06d}"


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header for `payload`, as Stripe makes it."""
    stamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256)
    return f"t={stamp},v1={mac.hexdigest()}"


def _sub(form: dict, prefix: str) -> dict:
    """`metadata[x]=1` form fields as {"x": "1"}."""
    start = f"{prefix}["
    found = {k[len(start) : -1]: v for k, v in form.items() if k.startswith(start)}
    return {k: v for k, v in found.items() if "[" not in k}


class FakeStripe:
    def __init__(self, *, webhook_url: str | None = None, webhook_secret: str = WEBHOOK_SECRET):
        self.port = free_port()
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.lock = threading.RLock()
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.setup_intents: dict[str, dict] = {}  # cards saved in setup mode
        self.answers: dict[str, tuple[int, dict]] = {}  # Idempotency-Key -> the first answer
        self.key_uses: Counter = Counter()
        self.requests: Counter = Counter()  # (method, endpoint) -> how many
        self.outbox: list[dict] = []  # events not sent (no webhook_url)
        self.sent: list[tuple[dict, int]] = []  # events sent, and the app's answer
        self.fail_until = 0.0  # time.monotonic() before which every API call gets a 500
        self.lose_answers = 0  # calls whose work is done but whose answer never arrives
        self.decline_cards: set[str] = set()  # payment methods an off-session charge declines
        self.server: ThreadingHTTPServer | None = None
        self.start()

    # -- running ------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        fake = self

        class Handler(_Handler):
            stripe = fake

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def go_down(self) -> None:
        """Stop listening: calls now meet "connection refused"."""
        self.stop()

    def come_back(self) -> None:
        self.start()

    def fail_for(self, seconds: float) -> None:
        """Answer every API call with a 500 for `seconds` (the hosted page still works)."""
        self.fail_until = time.monotonic() + seconds

    @property
    def failing(self) -> bool:
        return time.monotonic() < self.fail_until

    # -- what it did --------------------------------------------------------------------------

    @property
    def charges(self) -> list[dict]:
        """Every payment that took money from a card (deposits paid, fees charged)."""
        with self.lock:
            return [i for i in self.intents.values() if i["status"] == "succeeded"]

    def charged(self, customer_or_pm: str) -> list[dict]:
        return [i for i in self.charges if customer_or_pm in (i["customer"], i["payment_method"])]

    # -- Checkout, paid on the hosted page ----------------------------------------------------

    def pay(self, session_id: str) -> list[dict]:
        """The client pays with the test card 4242: the session completes, its
        PaymentIntent succeeds with the card saved to a customer (in setup mode, its
        SetupIntent does, and nothing is charged); returns the events."""
        if self.sessions[session_id]["mode"] == "setup":
            return self.save_card(session_id)
        with self.lock:
            session = self.sessions[session_id]
            if session["status"] != "open":
                raise ValueError(f"session {session_id} is {session['status']}")
            customer = new_id("cus")
            intent = {
                "id": new_id("pi"),
                "object": "payment_intent",
                "amount": session["amount_total"],
                "amount_received": session["amount_total"],
                "currency": session["currency"],
                "customer": customer,
                "payment_method": new_id("pm"),
                "setup_future_usage": session["setup_future_usage"],
                "metadata": dict(session["payment_intent_metadata"]),
                "status": "succeeded",
                "off_session": False,
            }
            self.intents[intent["id"]] = intent
            session.update(
                status="complete",
                payment_status="paid",
                payment_intent=intent["id"],
                customer=customer,
            )
            events = [
                self.event("payment_intent.succeeded", intent),
                self.event("checkout.session.completed", session),
            ]
        for event in events:
            self.send(event)
        return events

    def save_card(self, session_id: str) -> list[dict]:
        """The client saves the test card 4242 on a setup-mode page: its SetupIntent
        succeeds with a customer and payment method; nothing is charged; returns the events."""
        with self.lock:
            session = self.sessions[session_id]
            if session["mode"] != "setup" or session["status"] != "open":
                raise ValueError(f"session {session_id} is {session['status']}")
            customer = new_id("cus")
            intent = {
                "id": session["setup_intent"],
                "object": "setup_intent",
                "customer": customer,
                "payment_method": new_id("pm"),
                "usage": "off_session",
                "metadata": dict(session["setup_intent_metadata"]),
                "status": "succeeded",
            }
            self.setup_intents[intent["id"]] = intent
            session.update(
                status="complete", payment_status="no_payment_required", customer=customer
            )
            events = [
                self.event("setup_intent.succeeded", intent),
                self.event("checkout.session.completed", session),
            ]
        for event in events:
            self.send(event)
        return events

    def event(self, type_: str, obj: dict) -> dict:
        return {
            "id": new_id("evt"),
            "object": "event",
            "type": type_,
            "api_version": "2025-01-01",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "data": {"object": json.loads(json.dumps(obj))},
        }

    def signed(self, event: dict) -> tuple[bytes, str]:
        payload = json.dumps(event).encode()
        return payload, sign(payload, self.webhook_secret)

    def send(self, event: dict) -> None:
        if not self.webhook_url:
            with self.lock:
                self.outbox.append(event)
            return
        payload, signature = self.signed(event)
        request = urllib.request.Request(
            self.webhook_url,
            data=payload,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status = answer.status
        except urllib.error.HTTPError as refused:
            status = refused.code
        with self.lock:
            self.sent.append((event, status))

    def take_events(self) -> list[dict]:
        with self.lock:
            events, self.outbox = self.outbox, []
        return events

    # -- the API ------------------------------------------------------------------------------

    def handle(self, method: str, path: str, form: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "checkout", "sessions"]:
            return self._checkout_create(form)
        if (
            method == "POST"
            and parts[:3] == ["v1", "checkout", "sessions"]
            and parts[4:] == ["expire"]
        ):
            return self._checkout_expire(parts[3])
        if method == "POST" and parts == ["v1", "refunds"]:
            return self._refund(form)
        if method == "POST" and parts == ["v1", "payment_intents"]:
            return self._intent(form)
        return 404, _error("invalid_request_error", f"Unrecognized request URL ({path}).")

    def _checkout_create(self, form: dict) -> tuple[int, dict]:
        if form.get("mode") == "setup":
            return self._setup_create(form)
        for needed in ("success_url", "line_items[0][price_data][unit_amount]", "mode"):
            if needed not in form:
                return 400, _error("invalid_request_error", f"Missing required param: {needed}.")
        return self._session(
            form,
            payment_status="unpaid",
            amount_total=int(form["line_items[0][price_data][unit_amount]"]),
            currency=form["line_items[0][price_data][currency]"],
            payment_intent_metadata=_sub(form, "payment_intent_data[metadata]"),
            setup_future_usage=form.get("payment_intent_data[setup_future_usage]"),
        )

    def _session(self, form: dict, **fields) -> tuple[int, dict]:
        session_id = new_id("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": form["mode"],
            "status": "open",
            "customer_email": form.get("customer_email"),
            "client_reference_id": form.get("client_reference_id"),
            "metadata": _sub(form, "metadata"),
            "expires_at": int(form.get("expires_at", 0)),
            "success_url": form["success_url"],
            "cancel_url": form.get("cancel_url"),
            "payment_intent": None,
            "url": f"{self.base}/pay/{session_id}",
            **fields,
        }
        self.sessions[session_id] = session
        return 200, session

    def _setup_create(self, form: dict) -> tuple[int, dict]:
        """Setup mode: no line items; Stripe asks the currency (dynamic payment methods)."""
        for needed in ("success_url", "currency"):
            if needed not in form:
                return 400, _error("invalid_request_error", f"Missing required param: {needed}.")
        if any(k.startswith(("line_items", "payment_intent_data")) for k in form):
            return 400, _error("invalid_request_error", "Not accepted in setup mode.")
        return self._session(
            form,
            payment_status="no_payment_required",
            amount_total=None,
            currency=form["currency"],
            setup_intent=new_id("seti"),
            setup_intent_metadata=_sub(form, "setup_intent_data[metadata]"),
        )

    def _checkout_expire(self, session_id: str) -> tuple[int, dict]:
        session = self.sessions.get(session_id)
        if session is None:
            return 404, _error("invalid_request_error", f"No such checkout.session: {session_id}")
        if session["status"] != "open":
            return 400, _error(
                "invalid_request_error", f"Only open sessions can be expired ({session['status']})."
            )
        session["status"] = "expired"
        return 200, session

    def _refund(self, form: dict) -> tuple[int, dict]:
        intent = self.intents.get(form.get("payment_intent", ""))
        if intent is None:
            return 404, _error("invalid_request_error", "No such payment_intent.")
        amount = int(form.get("amount", intent["amount_received"]))
        refunded = sum(
            r["amount"] for r in self.refunds.values() if r["payment_intent"] == intent["id"]
        )
        if refunded + amount > intent["amount_received"]:
            return 400, _error("invalid_request_error", "Refund exceeds the charge.")
        refund = {
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "metadata": _sub(form, "metadata"),
            "status": "succeeded",
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    def _intent(self, form: dict) -> tuple[int, dict]:
        if form.get("confirm") != "true" or form.get("off_session") != "true":
            return 400, _error("invalid_request_error", "The fake charges off session only.")
        method = form.get("payment_method", "")
        saved = [*self.intents.values(), *self.setup_intents.values()]
        known = any(i["payment_method"] == method for i in saved)
        if not known:
            return 400, _error("invalid_request_error", f"No such PaymentMethod: {method}")
        intent = {
            "id": new_id("pi"),
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "amount_received": int(form["amount"]),
            "currency": form["currency"],
            "customer": form.get("customer"),
            "payment_method": method,
            "metadata": _sub(form, "metadata"),
            "status": "succeeded",
            "off_session": True,
        }
        if method in self.decline_cards:
            intent.update(status="requires_payment_method", amount_received=0)
            self.intents[intent["id"]] = intent
            error = _error("card_error", "Your card was declined.", code="card_declined")
            error["error"]["payment_intent"] = intent
            return 402, error
        self.intents[intent["id"]] = intent
        # Its webhook waits in the outbox (never sent from inside the call it answers).
        self.outbox.append(self.event("payment_intent.succeeded", intent))
        return 200, intent


def _error(kind: str, message: str, code: str | None = None) -> dict:
    return {"error": {"type": kind, "message": message, **({"code": code} if code else {})}}


class _Handler(BaseHTTPRequestHandler):
    stripe: FakeStripe
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def _answer(self, status: int, body: dict | str, content_type="application/json") -> None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", new_id("req"))
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        return dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))

    def do_GET(self):
        path = urlparse(self.path).path
        parts = path.strip("/").split("/")
        if parts[0] == "pay" and len(parts) == 2 and parts[1] in self.stripe.sessions:
            session = self.stripe.sessions[parts[1]]
            if session["mode"] == "setup":
                heading = "Save a card"
            else:
                heading = f"Pay {session['amount_total'] / 100:.2f} {session['currency'].upper()}"
            page = (
                "<!doctype html><title>Fake Stripe Checkout</title>"
                f"<h1>{html.escape(heading)}</h1><p>Status: {session['status']}</p>"
                f'<form method="post" action="/pay/{session["id"]}">'
                "<p>Card: 4242 4242 4242 4242</p>"
                '<button type="submit">Pay with test card 4242</button></form>'
            )
            return self._answer(200, page, "text/html; charset=utf-8")
        return self._answer(404, _error("invalid_request_error", "Not found."))

    def do_POST(self):
        path = urlparse(self.path).path
        form = self._form()
        parts = path.strip("/").split("/")
        if parts[0] == "pay" and len(parts) == 2:
            try:
                self.stripe.pay(parts[1])
            except (KeyError, ValueError) as gone:
                return self._answer(410, f"<p>{html.escape(str(gone))}</p>", "text/html")
            self.send_response(303)
            self.send_header("Location", self.stripe.sessions[parts[1]]["success_url"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        fake = self.stripe
        if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return self._answer(401, _error("invalid_request_error", "Invalid API Key provided."))
        endpoint = "/".join(p if not p.startswith("cs_") else "{id}" for p in parts)
        key = self.headers.get("Idempotency-Key")
        with fake.lock:
            fake.requests[("POST", endpoint)] += 1
            if key:
                fake.key_uses[key] += 1
            if fake.failing:
                return self._answer(500, _error("api_error", "The fake is failing on purpose."))
            if key and key in fake.answers:
                status, body = fake.answers[key]
            else:
                status, body = fake.handle("POST", path, form)
                if key and status < 500:
                    fake.answers[key] = (status, body)
            if fake.lose_answers > 0:
                fake.lose_answers -= 1
                self.close_connection = True
                self.connection.shutdown(2)  # the work is done; the answer never arrives
                return None
        return self._answer(status, body)


def fake_in_use(settings, **kwargs) -> FakeStripe:
    """A fake Stripe, started, with card payments on and the official library pointed at it
    (`settings`: pytest-django's fixture, which puts the settings back afterwards)."""
    fake = FakeStripe(**kwargs)
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake.base
    settings.STRIPE_TIMEOUT_SECONDS = 3
    return fake
