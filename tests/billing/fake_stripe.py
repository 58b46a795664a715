"""A small stateful fake of the Stripe API, served over real HTTP on 127.0.0.1.

Why a fake and not a spec mock: Stripe's OpenAPI spec is too large to bring onto these machines
and Prism cannot load even older versions of it (recursive schemas), so the official `stripe` SDK
talks to this server instead. It implements only the endpoints Practica uses, returns objects in
Stripe's real shapes (field names and types as in Stripe's own fixtures), and records every
request (method, path, form params, Stripe-Account and Idempotency-Key headers) so tests can
assert exactly what the product sends.

For browser tests it also stands in for Stripe's side of a payment: a minimal hosted Checkout page
(`/c/pay/<session>`: a card field and a Pay button) and webhook delivery, signed with Stripe's
scheme, to the endpoints registered with `add_webhook_endpoint` (as configured in Stripe's
dashboard), in a background thread after the page has answered, as Stripe does.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import http.client
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse, urlsplit


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    stripe_account: str | None
    idempotency_key: str | None


@dataclass(frozen=True)
class WebhookEndpoint:
    """Where Stripe posts events, as set up in its dashboard: a Connect endpoint receives the events
    of connected accounts, a platform endpoint those of the platform account."""

    url: str
    secret: str
    connect: bool
    enabled_events: frozenset[str]


@dataclass
class Delivery:
    """One webhook post the fake made, and the endpoint's answer (status None: no answer)."""

    event_id: str
    event_type: str
    url: str
    status: int | None
    response: str


def event_payload(
    event_id: str, kind: str, obj: dict[str, Any], *, account: str | None, created: int
) -> dict[str, Any]:
    """An Event object in Stripe's shape (a Connect event names its account)."""
    payload: dict[str, Any] = {
        "id": event_id,
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }
    if account:
        payload["account"] = account
    return payload


@dataclass
class FakeStripe:
    """State of the fake: objects by id, and every request received, in order."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    # Idempotency keys seen, per (account, key): replays return the first response, as Stripe does.
    idempotent: dict[tuple[str | None, str], dict[str, Any]] = field(default_factory=dict)
    # Payment methods that decline when charged off-session (to test failures).
    declining_payment_methods: set[str] = field(default_factory=set)
    base_url: str = ""
    # Configuration, kept by reset() like a dashboard's: webhook endpoints, and the addresses of
    # host names the test network has no DNS for (like Chromium's --host-resolver-rules).
    webhook_endpoints: list[WebhookEndpoint] = field(default_factory=list)
    hosts: dict[str, str] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._counter):06d}{secrets.token_hex(6)}"

    def reset(self) -> None:
        with self.lock:
            self.objects.clear()
            self.requests.clear()
            self.idempotent.clear()
            self.declining_payment_methods.clear()
            self.deliveries.clear()

    def calls(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def last(self, method: str, path_prefix: str) -> RecordedRequest:
        found = self.calls(method, path_prefix)
        assert found, f"no {method} {path_prefix} request was sent"
        return found[-1]

    def add_webhook_endpoint(
        self, url: str, secret: str, *, connect: bool, enabled_events: Iterable[str]
    ) -> WebhookEndpoint:
        endpoint = WebhookEndpoint(url, secret, connect, frozenset(enabled_events))
        with self.lock:
            self.webhook_endpoints.append(endpoint)
        return endpoint

    def emit(self, kind: str, obj: dict[str, Any], account: str | None) -> dict[str, Any]:
        """An event as Stripe makes it: stored, and returned for `deliver`. Call with the lock held."""
        payload = event_payload(self.new_id("evt"), kind, _public(obj), account=account, created=_now())
        self.objects[payload["id"]] = {**payload, "_account": account}
        return payload

    def deliver(self, events: list[dict[str, Any]]) -> None:
        """Post each event, in order, to every endpoint that subscribed to it. Stripe retries failed
        deliveries for days; the fake posts once and records the answer (see `deliveries`)."""
        with self.lock:
            endpoints = list(self.webhook_endpoints)
        for event in events:
            for endpoint in endpoints:
                if endpoint.connect == ("account" in event) and event["type"] in endpoint.enabled_events:
                    delivery = self._post(endpoint, event)
                    with self.lock:
                        self.deliveries.append(delivery)

    def deliver_later(self, events: list[dict[str, Any]]) -> threading.Thread:
        thread = threading.Thread(
            target=self.deliver, args=(events,), name="fake-stripe-webhooks", daemon=True
        )
        thread.start()
        return thread

    def _post(self, endpoint: WebhookEndpoint, event: dict[str, Any]) -> Delivery:
        body = json.dumps(event).encode()
        target = urlsplit(endpoint.url)
        host = target.hostname or ""
        connection = http.client.HTTPConnection(self.hosts.get(host, host), target.port or 80, timeout=30)
        try:
            connection.request(
                "POST",
                target.path + (f"?{target.query}" if target.query else ""),
                body,
                headers={
                    "Host": target.netloc,
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    "Stripe-Signature": stripe_signature(body, endpoint.secret),
                },
            )
            answer = connection.getresponse()
            status, text = answer.status, answer.read().decode(errors="replace")
        except OSError as error:
            status, text = None, str(error)
        finally:
            connection.close()
        return Delivery(event["id"], event["type"], endpoint.url, status, text)

    # Test helpers that stand in for what happens on Stripe's side (hosted pages, payouts).
    def add_payout(self, account: str, amount: int, balance_transactions: list[dict[str, Any]]) -> str:
        payout_id = self.new_id("po")
        self.objects[payout_id] = {
            **_payout(payout_id, amount),
            "_account": account,
            "_balance_transactions": balance_transactions,
        }
        return payout_id


def _now() -> int:
    return int(time.time())


def stripe_signature(body: bytes, secret: str, at: int | None = None) -> str:
    """Stripe's scheme: t=<time>,v1=HMAC-SHA256(secret, f"{t}.{body}")."""
    t = at or _now()
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _params(body: str) -> dict[str, str]:
    return dict(parse_qsl(body, keep_blank_values=True))


def _nested(params: dict[str, str], prefix: str) -> dict[str, str]:
    """`metadata[k]=v` -> {"k": "v"}."""
    pattern = re.compile(rf"^{re.escape(prefix)}\[([^\]]+)\]$")
    return {m.group(1): v for k, v in params.items() if (m := pattern.match(k))}


def _int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def _payout(payout_id: str, amount: int) -> dict[str, Any]:
    return {
        "id": payout_id,
        "object": "payout",
        "amount": amount,
        "arrival_date": _now(),
        "automatic": True,
        "balance_transaction": None,
        "created": _now(),
        "currency": "usd",
        "description": "STRIPE PAYOUT",
        "destination": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": {},
        "method": "standard",
        "reconciliation_status": "completed",
        "source_type": "card",
        "statement_descriptor": None,
        "status": "paid",
        "type": "bank_account",
    }


class _Error(Exception):
    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "error": {
                "type": "invalid_request_error" if status != 402 else "card_error",
                "message": message,
                "param": param,
                "code": code,
            }
        }


def _require(params: dict[str, str], *names: str) -> None:
    for name in names:
        if not params.get(name):
            raise _Error(400, f"Missing required param: {name}.", param=name)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        return

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        fake = self.fake
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        params = _params(body if method == "POST" else url.query)
        if url.path.startswith("/c/pay/"):  # the hosted page: a browser's, with no API key
            self._hosted_checkout(method, url.path.removeprefix("/c/pay/"), params)
            return
        account = self.headers.get("Stripe-Account")
        key = self.headers.get("Idempotency-Key")
        with fake.lock:
            fake.requests.append(RecordedRequest(method, url.path, params, account, key))
            status, payload = 200, dict[str, Any]()
            if not (self.headers.get("Authorization") or "").startswith("Bearer sk_test_"):
                status, payload = 401, {"error": {"type": "invalid_request_error", "message": "No API key."}}
            elif method == "POST" and key and (account, key) in fake.idempotent:
                payload = fake.idempotent[(account, key)]
            else:
                try:
                    payload = _route(fake, method, url.path, params, account)
                except _Error as error:
                    status, payload = error.status, error.body
                if method == "POST" and key and status == 200:
                    fake.idempotent[(account, key)] = payload
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Request-Id", "req_" + secrets.token_hex(7))
        self.end_headers()
        self.wfile.write(raw)

    def _hosted_checkout(self, method: str, session_id: str, form: dict[str, str]) -> None:
        """Stripe's hosted Checkout page, reduced to a card number and a Pay button. Paying completes
        the session and its PaymentIntent, then sends the browser to the success URL while the
        webhooks go out."""
        fake = self.fake
        with fake.lock:
            session = fake.objects.get(session_id) or {}
            payable = session.get("object") == "checkout.session" and session.get("mode") == "payment"
            is_open = session.get("status") == "open"
        if not payable:
            self._page(404, "<h1>This checkout page does not exist</h1>")
            return
        if not is_open:
            self._page(410, "<h1>This checkout page has expired or was already paid</h1>")
            return
        error = ""
        if method == "POST":
            if re.fullmatch(r"\d{12,19}", re.sub(r"[ -]", "", form.get("card", ""))):
                try:
                    intent = complete_payment_checkout(fake, session_id)
                except ValueError:  # paid by a second click meanwhile
                    self._page(410, "<h1>This checkout page has expired or was already paid</h1>")
                    return
                with fake.lock:
                    account = session["_account"]
                    events = [
                        fake.emit("checkout.session.completed", session, account),
                        fake.emit("payment_intent.succeeded", fake.objects[intent["id"]], account),
                    ]
                fake.deliver_later(events)
                self.send_response(303)
                self.send_header(
                    "Location", session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id)
                )
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            error = '<p role="alert" id="card-error">Your card number is incomplete.</p>'
        params = session["_params"]
        name = html.escape(params.get("line_items[0][price_data][product_data][name]", "Payment"))
        amount = f"${int(params['line_items[0][price_data][unit_amount]']) / 100:,.2f}"
        cancel = html.escape(session["cancel_url"] or "", quote=True)
        self._page(
            400 if error else 200,
            f"<h1>{name}</h1><p>Amount due: <strong>{amount}</strong></p>{error}"
            '<form method="post"><label for="card">Card number</label> '
            '<input id="card" name="card" inputmode="numeric" autocomplete="cc-number">'
            f' <button type="submit">Pay {amount}</button></form>'
            + (f'<p><a href="{cancel}">Back</a></p>' if cancel else ""),
        )

    def _page(self, status: int, content: str) -> None:
        raw = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Checkout (test)</title></head><body><main>{content}</main></body></html>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _get(fake: FakeStripe, object_id: str, account: str | None) -> dict[str, Any]:
    obj = fake.objects.get(object_id)
    if obj is None or obj.get("_account") != account:
        raise _Error(404, f"No such object: '{object_id}'", code="resource_missing")
    return obj


def _route(
    fake: FakeStripe, method: str, path: str, p: dict[str, str], account: str | None
) -> dict[str, Any]:
    parts = path.strip("/").split("/")[1:]  # drop "v1"
    match (method, parts):
        case ("POST", ["customers"]):
            return _store(fake, account, _customer(fake, p))
        case ("POST", ["checkout", "sessions"]):
            return _store(fake, account, _checkout_session(fake, p))
        case ("GET", ["checkout", "sessions", session_id]):
            return _public(_get(fake, session_id, account))
        case ("POST", ["checkout", "sessions", session_id, "expire"]):
            session = _get(fake, session_id, account)
            if session["status"] != "open":
                raise _Error(400, "Only Checkout Sessions with a status of open can be expired.")
            session["status"] = "expired"
            return _public(session)
        case ("GET", ["subscriptions", sub_id]):
            return _public(_get(fake, sub_id, account))
        case ("POST", ["subscriptions", sub_id]):
            return _update_subscription(fake, _get(fake, sub_id, account), p)
        case ("POST", ["billing_portal", "sessions"]):
            _require(p, "customer")
            _get(fake, p["customer"], account)
            portal_id = fake.new_id("bps")
            return _store(
                fake,
                account,
                {
                    "id": portal_id,
                    "object": "billing_portal.session",
                    "configuration": "bpc_fake",
                    "created": _now(),
                    "customer": p["customer"],
                    "flow": None,
                    "livemode": False,
                    "locale": None,
                    "on_behalf_of": None,
                    "return_url": p.get("return_url"),
                    "url": f"{fake.base_url}/portal/{portal_id}",
                },
            )
        case ("POST", ["accounts"]):
            return _store(fake, None, _account(fake, p))
        case ("GET", ["accounts", account_id]):
            return _public(_get(fake, account_id, None))
        case ("POST", ["account_links"]):
            _require(p, "account", "refresh_url", "return_url", "type")
            _get(fake, p["account"], None)
            return {
                "object": "account_link",
                "created": _now(),
                "expires_at": _now() + 300,
                "url": f"{fake.base_url}/setup/s/{p['account']}/{secrets.token_hex(6)}",
            }
        case ("POST", ["payment_intents"]):
            return _store(fake, account, _payment_intent(fake, p, account))
        case ("GET", ["payment_intents", pi_id]):
            return _public(_get(fake, pi_id, account))
        case ("POST", ["setup_intents"]):
            return _store(fake, account, _setup_intent(fake, p))
        case ("POST", ["refunds"]):
            return _store(fake, account, _refund(fake, p, account))
        case ("GET", ["payouts"]):
            payouts = [
                _public(o)
                for o in fake.objects.values()
                if o["object"] == "payout" and o["_account"] == account
            ]
            return {"object": "list", "data": payouts, "has_more": False, "url": "/v1/payouts"}
        case ("GET", ["balance_transactions"]):
            payout = _get(fake, p.get("payout", ""), account)
            data = payout["_balance_transactions"]
            return {"object": "list", "data": data, "has_more": False, "url": "/v1/balance_transactions"}
    raise _Error(404, f"Unrecognized request URL ({method}: {path}).")


def _store(fake: FakeStripe, account: str | None, obj: dict[str, Any]) -> dict[str, Any]:
    obj["_account"] = account
    fake.objects[obj["id"]] = obj
    return _public(obj)


def _customer(fake: FakeStripe, p: dict[str, str]) -> dict[str, Any]:
    return {
        "id": fake.new_id("cus"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": _now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": p.get("description"),
        "email": p.get("email"),
        "invoice_prefix": secrets.token_hex(4).upper(),
        "livemode": False,
        "metadata": _nested(p, "metadata"),
        "name": p.get("name"),
        "phone": None,
        "preferred_locales": [],
        "tax_exempt": "none",
    }


def _checkout_session(fake: FakeStripe, p: dict[str, str]) -> dict[str, Any]:
    _require(p, "mode", "success_url")
    if p["mode"] == "subscription":
        _require(p, "line_items[0][price]", "line_items[0][quantity]")
    session_id = fake.new_id("cs_test")
    return {
        "id": session_id,
        "object": "checkout.session",
        "cancel_url": p.get("cancel_url"),
        "client_reference_id": p.get("client_reference_id"),
        "created": _now(),
        "currency": "usd",
        "customer": p.get("customer"),
        "customer_email": p.get("customer_email"),
        "expires_at": _now() + 24 * 3600,
        "livemode": False,
        "metadata": _nested(p, "metadata"),
        "mode": p["mode"],
        "payment_intent": None,
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "setup_intent": None,
        "status": "open",
        "subscription": None,
        "success_url": p["success_url"],
        "url": f"{fake.base_url}/c/pay/{session_id}",
        "_params": p,
    }


def _subscription(
    fake: FakeStripe, customer: str, price: str, quantity: int, trial_days: int
) -> dict[str, Any]:
    """What Stripe creates when a subscription-mode Checkout completes (see complete_checkout)."""
    sub_id = fake.new_id("sub")
    now = _now()
    return {
        "id": sub_id,
        "object": "subscription",
        "application_fee_percent": None,
        "billing_cycle_anchor": now,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "collection_method": "charge_automatically",
        "created": now,
        "currency": "usd",
        "customer": customer,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": fake.new_id("si"),
                    "object": "subscription_item",
                    "created": now,
                    "metadata": {},
                    "price": {"id": price, "object": "price", "currency": "usd", "type": "recurring"},
                    "quantity": quantity,
                    "subscription": sub_id,
                }
            ],
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": {},
        "start_date": now,
        "status": "trialing" if trial_days else "active",
        "trial_end": now + trial_days * 86400 if trial_days else None,
        "trial_start": now if trial_days else None,
    }


def complete_checkout(fake: FakeStripe, session_id: str) -> dict[str, Any]:
    """Stands in for the customer finishing Stripe's hosted Checkout page."""
    with fake.lock:
        session = fake.objects[session_id]
        params = session["_params"]
        trial = _int(params.get("subscription_data[trial_period_days]")) or 0
        sub = _subscription(
            fake,
            session["customer"],
            params["line_items[0][price]"],
            int(params["line_items[0][quantity]"]),
            trial,
        )
        sub["_account"] = None
        fake.objects[sub["id"]] = sub
        session.update(status="complete", payment_status="paid", subscription=sub["id"])
        return _public(session)


def _update_subscription(fake: FakeStripe, sub: dict[str, Any], p: dict[str, str]) -> dict[str, Any]:
    for item in sub["items"]["data"]:
        if p.get("items[0][id]") == item["id"] and "items[0][quantity]" in p:
            quantity = int(p["items[0][quantity]"])
            if quantity < 1:
                raise _Error(400, "Invalid positive integer", param="items[0][quantity]")
            item["quantity"] = quantity
    if "items[0][id]" in p and p["items[0][id]"] not in {i["id"] for i in sub["items"]["data"]}:
        raise _Error(400, "No such subscription item", param="items[0][id]")
    return _public(sub)


def _account(fake: FakeStripe, p: dict[str, str]) -> dict[str, Any]:
    return {
        "id": fake.new_id("acct"),
        "object": "account",
        "business_profile": {"name": p.get("business_profile[name]"), "url": None},
        "business_type": None,
        "capabilities": {"card_payments": "inactive", "transfers": "inactive"},
        "charges_enabled": False,
        "controller": {"type": "application"},
        "country": p.get("country", "US"),
        "created": _now(),
        "default_currency": "usd",
        "details_submitted": False,
        "email": p.get("email"),
        "metadata": _nested(p, "metadata"),
        "payouts_enabled": False,
        "requirements": {
            "alternatives": [],
            "current_deadline": None,
            "currently_due": ["business_profile.mcc", "external_account", "tos_acceptance.date"],
            "disabled_reason": "requirements.past_due",
            "errors": [],
            "eventually_due": ["business_profile.mcc", "external_account", "tos_acceptance.date"],
            "past_due": [],
            "pending_verification": [],
        },
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": p.get("type", "express"),
    }


def enable_charges(fake: FakeStripe, account_id: str) -> dict[str, Any]:
    """Stands in for the practice finishing Stripe's hosted onboarding."""
    with fake.lock:
        account = fake.objects[account_id]
        account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
        account["capabilities"] = {"card_payments": "active", "transfers": "active"}
        account["requirements"].update(currently_due=[], eventually_due=[], disabled_reason=None)
        return _public(account)


def _payment_intent(fake: FakeStripe, p: dict[str, str], account: str | None) -> dict[str, Any]:
    _require(p, "amount", "currency")
    amount = int(p["amount"])
    if amount < 50:
        raise _Error(400, "Amount must be at least $0.50 usd", param="amount", code="amount_too_small")
    pi_id = fake.new_id("pi")
    confirm = p.get("confirm") == "true"
    status = "requires_payment_method"
    latest_charge = None
    if confirm:
        _require(p, "payment_method")
        if p["payment_method"] in fake.declining_payment_methods:
            raise _Error(402, "Your card was declined.", code="card_declined")
        status = "succeeded"
        latest_charge = fake.new_id("ch")
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": amount if status == "succeeded" else 0,
        "application": None,
        "application_fee_amount": _int(p.get("application_fee_amount")),
        "automatic_payment_methods": {"enabled": p.get("automatic_payment_methods[enabled]") == "true"},
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{pi_id}_secret_{secrets.token_hex(8)}",
        "confirmation_method": "automatic",
        "created": _now(),
        "currency": p["currency"],
        "customer": p.get("customer"),
        "description": p.get("description"),
        "latest_charge": latest_charge,
        "livemode": False,
        "metadata": _nested(p, "metadata"),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": p.get("payment_method"),
        "payment_method_types": ["card"],
        "receipt_email": p.get("receipt_email"),
        "setup_future_usage": None,
        "statement_descriptor": p.get("statement_descriptor"),
        "statement_descriptor_suffix": p.get("statement_descriptor_suffix"),
        "status": status,
        "transfer_data": None,
        "transfer_group": None,
    }


def _setup_intent(fake: FakeStripe, p: dict[str, str]) -> dict[str, Any]:
    seti_id = fake.new_id("seti")
    return {
        "id": seti_id,
        "object": "setup_intent",
        "application": None,
        "cancellation_reason": None,
        "client_secret": f"{seti_id}_secret_{secrets.token_hex(8)}",
        "created": _now(),
        "customer": p.get("customer"),
        "description": p.get("description"),
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": _nested(p, "metadata"),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_types": ["card"],
        "status": "requires_payment_method",
        "usage": p.get("usage", "off_session"),
    }


def _refund(fake: FakeStripe, p: dict[str, str], account: str | None) -> dict[str, Any]:
    _require(p, "payment_intent")
    pi = _get(fake, p["payment_intent"], account)
    if pi["status"] != "succeeded":
        raise _Error(400, "This PaymentIntent has not succeeded.", param="payment_intent")
    already = sum(
        o["amount"]
        for o in fake.objects.values()
        if o["object"] == "refund" and o["payment_intent"] == pi["id"]
    )
    amount = _int(p.get("amount")) or pi["amount"] - already
    if amount + already > pi["amount"]:
        raise _Error(400, "Refund amount is greater than unrefunded amount on charge", param="amount")
    return {
        "id": fake.new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": pi["latest_charge"],
        "created": _now(),
        "currency": pi["currency"],
        "metadata": _nested(p, "metadata"),
        "payment_intent": pi["id"],
        "reason": p.get("reason"),
        "receipt_number": None,
        "status": "succeeded",
    }


def start_fake_stripe() -> tuple[FakeStripe, ThreadingHTTPServer]:
    fake = FakeStripe()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="fake-stripe", daemon=True).start()
    return fake, server


def complete_payment_checkout(fake: FakeStripe, session_id: str) -> dict[str, Any]:
    """Stands in for the patient paying on Stripe's hosted page: the PaymentIntent succeeds."""
    with fake.lock:
        session = fake.objects[session_id]
        if session["status"] != "open":
            raise ValueError(f"Checkout Session {session_id} is {session['status']}")
        params = session["_params"]
        pi = _payment_intent(
            fake,
            {
                "amount": params["line_items[0][price_data][unit_amount]"],
                "currency": params["line_items[0][price_data][currency]"],
                "application_fee_amount": params.get("payment_intent_data[application_fee_amount]", ""),
                "description": params.get("payment_intent_data[description]", ""),
                "metadata[payment]": params.get("payment_intent_data[metadata][payment]", ""),
                "confirm": "true",
                "payment_method": "pm_card_visa",
            },
            session["_account"],
        )
        _store(fake, session["_account"], pi)
        session.update(status="complete", payment_status="paid", payment_intent=pi["id"])
        return _public(pi)
