from typing import Any

from django import template

from practica.accounts.navigation import menu_for

register = template.Library()


@register.inclusion_tag("accounts/_navigation.html", takes_context=True)
def main_navigation(context: dict[str, Any]) -> dict[str, Any]:
    """{% main_navigation %}: the areas and pages the signed-in role may use, the current marked."""
    request = context["request"]
    areas = menu_for(context.get("role"), request.path)
    return {"areas": areas, "current": next((area for area in areas if area.current), None)}
