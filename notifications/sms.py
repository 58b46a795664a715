"""Sending SMS through Twilio with the practice's own account, or the platform's."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from notifications import crypto
from notifications.routing.models import PracticeSmsRoute

# Twilio errors that no retry can fix: the message is recorded as failed with the code.
PERMANENT_ERROR_CODES = {
    21211,  # invalid 'To' number
    21408,  # region not enabled
    21610,  # recipient replied STOP
    21612,  # cannot route to this number
    21614,  # not a mobile number
    21606,  # sender cannot send
    30003,  # unreachable handset
    30004,  # blocked
    30005,  # unknown number
    30006,  # landline
    30007,  # carrier filtered
}


@dataclass(frozen=True)
class SmsAccount:
    account_sid: str
    auth_token: str
    messaging_service_sid: str
    from_number: str


class SmsError(Exception):
    def __init__(self, code: str, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry = retry


class _ApiBaseHttpClient(TwilioHttpClient):
    """Sends the SDK's requests to settings.TWILIO_API_BASE (a contract mock in tests)."""

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        base = settings.TWILIO_API_BASE.rstrip("/")
        return super().request(method, url.replace("https://api.twilio.com", base), *args, **kwargs)


def account_for(practice_id: int) -> SmsAccount | None:
    route = PracticeSmsRoute.objects.filter(practice_id=practice_id).first()
    if route is not None:
        return SmsAccount(
            route.account_sid,
            crypto.decrypt(route.auth_token_encrypted),
            route.messaging_service_sid,
            route.from_number,
        )
    return platform_account()


def platform_account() -> SmsAccount | None:
    """The platform's default account, for practices without their own."""
    if settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN:
        return SmsAccount(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            settings.TWILIO_MESSAGING_SERVICE_SID,
            settings.TWILIO_FROM_NUMBER,
        )
    return None


_clients: dict[tuple[str, str, str], Client] = {}


def client_for(account: SmsAccount) -> Client:
    """One client (and so one pooled HTTP session) per account and worker process: reusing the
    connection to Twilio is most of the cost of a send."""
    key = (account.account_sid, account.auth_token, settings.TWILIO_API_BASE)
    client = _clients.get(key)
    if client is None:
        client = Client(account.account_sid, account.auth_token, http_client=_ApiBaseHttpClient(timeout=10))
        _clients[key] = client
    return client


def send_sms(account: SmsAccount, *, to: str, body: str, status_callback: str | None) -> str:
    """Send one SMS; returns Twilio's message SID. Raises SmsError saying whether to retry."""
    params: dict[str, Any] = {"to": to, "body": body}
    if account.messaging_service_sid:
        params["messaging_service_sid"] = account.messaging_service_sid
    else:
        params["from_"] = account.from_number
    if status_callback:
        params["status_callback"] = status_callback
    try:
        message = client_for(account).messages.create(**params)
    except TwilioRestException as error:
        code = error.code or error.status
        retry = error.status == 429 or error.status >= 500
        if code in PERMANENT_ERROR_CODES:
            retry = False
        raise SmsError(str(code), str(error.msg)[:300], retry=retry) from error
    except OSError as error:  # connection refused, reset, timeout (requests' errors are OSErrors)
        raise SmsError("network", str(error)[:300], retry=True) from error
    return str(message.sid)
