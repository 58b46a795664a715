from django import template

from practica.accounts.roles import Capability, role_can

register = template.Library()


@register.filter
def can(role: str | None, capability: str) -> bool:
    """{% if role|can:"view_patients" %}: menus follow the same rules the views enforce."""
    return role_can(role, Capability(capability))
