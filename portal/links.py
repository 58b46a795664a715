"""The practice a portal request or task is in (links to its pages: notifications.links)."""

from practica.core.tenancy import current_schema
from tenants.models import Practice


def current_practice() -> Practice:
    return Practice.objects.get(schema_name=current_schema())
