from django import template

from practica.accounts.roles import Capability, role_can

register = template.Library()


@register.filter
def can(role: str | None, capability: str) -> bool:
    """{% if role|can:"view_patients" %}: menus follow the same rules the views enforce."""
    return role_can(role, Capability(capability))


@register.filter
def dollars(cents: int) -> str:
    """-8500 -> "-$85.00": the sign before the currency symbol, as statements print it."""
    return f"{'-' if cents < 0 else ''}${abs(cents) / 100:,.2f}"
