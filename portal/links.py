"""The practice a portal request or task is in, and absolute links to its portal pages."""

from practica.core.links import practice_url
from practica.core.tenancy import current_schema
from tenants.models import Practice


def current_practice() -> Practice:
    return Practice.objects.get(schema_name=current_schema())


def portal_link(path: str) -> str:
    return practice_url(current_practice().slug, path)
