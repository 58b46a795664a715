"""A provider's private busy-times iCalendar feed.

Calendar apps subscribe to a URL and cannot sign in, so the URL itself is the secret: a long
random token per provider, rotated or revoked by the practice. The feed says only "Busy" with a
start and an end; no patient, appointment type or note ever leaves through it.
"""

import datetime
import hmac
import re
import secrets

from django.utils import timezone
from icalendar import Calendar, Event

from practica.scheduling.models import Appointment, Provider

FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 180
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def rotate_feed_token(provider: Provider) -> str:
    """Give the provider a new feed URL; the old one stops working at once. Audited on save."""
    provider.feed_token = secrets.token_urlsafe(32)
    provider.save(update_fields=["feed_token"])
    return provider.feed_token


def revoke_feed(provider: Provider) -> None:
    provider.feed_token = ""
    provider.save(update_fields=["feed_token"])


def provider_for_feed_token(token: str) -> Provider | None:
    """The active provider of the current practice whose feed token this is, or None.

    Every stored token is compared in constant time (no early exit, no index lookup on the
    secret), so response times say nothing about how close a guess was. A practice has few
    providers, and the comparison reads them in one query.
    """
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    match = None
    candidates = Provider.objects.filter(is_active=True).exclude(feed_token="").only("id", "feed_token")
    for provider in candidates:
        if hmac.compare_digest(provider.feed_token.encode(), token.encode()):
            match = provider
    return match


def busy_times_ics(provider: Provider, *, host: str, now: datetime.datetime | None = None) -> bytes:
    """One "Busy" VEVENT per active appointment from FEED_DAYS_BACK ago to FEED_DAYS_AHEAD ahead,
    in UTC, read in one query whatever the number of appointments."""
    now = now or timezone.now()
    appointments = (
        Appointment.objects.filter(
            provider=provider,
            status__in=Appointment.ACTIVE_STATUSES,
            end__gt=now - datetime.timedelta(days=FEED_DAYS_BACK),
            start__lt=now + datetime.timedelta(days=FEED_DAYS_AHEAD),
        )
        .order_by("start")
        .values_list("id", "start", "end", "updated_at")
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Practica//Provider busy times//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Busy")
    # Calendar apps poll; tell them how often is enough.
    calendar.add("refresh-interval", datetime.timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    for appointment_id, start, end, updated_at in appointments:
        event = Event()
        event.add("uid", f"busy-{appointment_id}@{host}")
        event.add("dtstamp", updated_at.astimezone(datetime.UTC))
        event.add("dtstart", start.astimezone(datetime.UTC))
        event.add("dtend", end.astimezone(datetime.UTC))
        event.add("summary", "Busy")
        event.add("transp", "OPAQUE")
        event.add("class", "PRIVATE")
        calendar.add_component(event)
    return calendar.to_ical()
