import datetime
from typing import Any

from django import template

from practica.core import times

register = template.Library()


@register.filter
def dollars(cents: int) -> str:
    """-8500 -> "-$85.00": the sign before the currency symbol, as statements print it."""
    return f"{'-' if cents < 0 else ''}${abs(cents) / 100:,.2f}"


# Times shown to people, in the zone of a location or practice and naming it (practica.core.times):
# {{ appointment.start|local_time:appointment.location }} -> "2:00 PM CST".
@register.filter
def local_time(value: datetime.datetime | None, where: Any) -> str:
    return times.time_text(value, where)


@register.filter
def local_datetime(value: datetime.datetime | None, where: Any) -> str:
    return times.datetime_text(value, where)


@register.filter
def local_datetime_short(value: datetime.datetime | None, where: Any) -> str:
    return times.short_datetime_text(value, where)


@register.filter
def local_date(value: datetime.datetime | None, where: Any) -> str:
    return times.date_text(value, where)


@register.filter
def local_stamp(value: datetime.datetime | None, where: Any) -> str:
    return times.stamp_text(value, where)
