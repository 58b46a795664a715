"""Times shown to people: in the zone of the place they are about, with that zone named.

A practice's times are stored in UTC. What a person reads (a page, an email, a text) is the time
at the location of the visit, or for what belongs to no location (a message, a payment, an audit
entry) at the practice, followed by the zone ("2:00 PM CST"), so that nobody has to guess which
clock it is. The formats are translatable (the Spanish portal reads "14:00 CST"). Templates use
the filters of `practica.core.templatetags.practica` (`local_time`, `local_datetime`, ...), Python
code these functions.
"""

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import formats
from django.utils.translation import gettext, pgettext

UTC = ZoneInfo("UTC")


def zone_of(source: Any) -> ZoneInfo:
    """The zone of a location or practice (anything with a `time_zone`), a zone name or a ZoneInfo;
    UTC when there is none."""
    if isinstance(source, ZoneInfo):
        return source
    name = getattr(source, "time_zone", source)
    if isinstance(name, ZoneInfo):
        return name
    return ZoneInfo(name) if isinstance(name, str) and name else UTC


def in_zone(value: datetime.datetime, source: Any) -> datetime.datetime:
    return value.astimezone(zone_of(source))


def zone_label(local: datetime.datetime) -> str:
    """'CST', 'CEST', 'UTC'; the zone's name where it has no lettered abbreviation (some zones'
    abbreviation is just an offset such as '-03')."""
    abbreviation = local.tzname() or ""
    if abbreviation.isalpha():
        return abbreviation
    return str(getattr(local.tzinfo, "key", abbreviation))


def _with_zone(value: datetime.datetime | None, source: Any, pattern: str) -> str:
    if value is None:
        return ""
    local = in_zone(value, source)
    return f"{formats.date_format(local, pattern)} {zone_label(local)}"


def time_text(value: datetime.datetime | None, source: Any) -> str:
    """'2:00 PM CST' (Spanish: '14:00 CST')."""
    return _with_zone(value, source, gettext("g:i A"))


def datetime_text(value: datetime.datetime | None, source: Any) -> str:
    """'Monday 14 December 2026, 2:00 PM CST'."""
    return _with_zone(value, source, gettext("l j F Y, g:i A"))


def short_datetime_text(value: datetime.datetime | None, source: Any) -> str:
    """'14 Dec 2026, 2:00 PM CST', for lists and tables."""
    return _with_zone(value, source, pgettext("a short date and time", "j M Y, g:i A"))


def date_text(value: datetime.datetime | None, source: Any) -> str:
    """'14 Dec 2026': the day it was there (a date has no clock to name)."""
    if value is None:
        return ""
    return formats.date_format(in_zone(value, source), pgettext("a short date", "j M Y"))


def stamp_text(value: datetime.datetime | None, source: Any) -> str:
    """'2026-12-14 14:00:05 CST': to the second, for records (the audit trail, signatures)."""
    return _with_zone(value, source, "Y-m-d H:i:s")
