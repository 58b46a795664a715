"""Staff sign-in lockout: django-axes' limit per email and address, plus one per address."""

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


class AccountAndAddressLockout(AxesDatabaseHandler):
    """Axes locks an email at one address after AXES_FAILURE_LIMIT failures; on its own that lets
    one address try a few passwords for every email it knows. AXES_ADDRESS_FAILURE_LIMIT failures
    from one address, whatever the emails, lock that address for the same cool-off (higher than
    the per-email limit: a practice's staff often share one address)."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        """Axes records the failure and flags the request when the email is locked out; the lockout
        page is shown for the address's limit in the same way."""
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True  # type: ignore[attr-defined]  # read by AxesMiddleware
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
            )


def address_failures(request: HttpRequest) -> int:
    """Failed sign-ins from the request's address within the cool-off, over every email."""
    recent = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address,  # type: ignore[attr-defined]  # set by axes
        attempt_time__gte=get_cool_off_threshold(request),
    )
    return int(recent.aggregate(total=Sum("failures_since_start"))["total"] or 0)
