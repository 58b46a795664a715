"""Rules for a practice's subdomain."""

import re

from django.core.exceptions import ValidationError

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "assets", "billing", "blog", "cdn", "dashboard", "docs", "help",
        "login", "mail", "media", "pg", "portal", "practica", "public", "smtp", "static",
        "status", "support", "template", "test", "www", "ws",
    }
)  # fmt: skip


def normalise_slug(value: str) -> str:
    return value.strip().lower()


def validate_slug(slug: str) -> None:
    """Raise ValidationError with a message a practice owner can act on."""
    if not SLUG_PATTERN.match(slug):
        raise ValidationError(
            "Use 3 to 40 lowercase letters, digits or hyphens, starting and ending with a letter or digit.",
            code="invalid",
        )
    if "--" in slug:
        raise ValidationError("Two hyphens in a row are not allowed.", code="invalid")
    if slug in RESERVED_SLUGS:
        raise ValidationError("This subdomain is reserved. Please choose another.", code="reserved")


def schema_name_for(slug: str) -> str:
    # Slugs never contain underscores, so this mapping is one-to-one.
    return "p_" + slug.replace("-", "_")
