"""Rules for a practice's subdomain."""

import re

from django.core.exceptions import ValidationError

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$")
# Names a visitor could take for the platform's own (or that mail and DNS tools treat specially),
# and names that resolve to the visitor's own machine.
RESERVED_SLUGS = frozenset(
    {
        "abuse", "account", "accounts", "admin", "administrator", "api", "app", "assets", "auth",
        "autoconfig", "autodiscover", "billing", "blog", "broadcasthost", "cdn", "dashboard", "dev",
        "dns", "docs", "email", "ftp", "health", "help", "hostmaster", "imap", "internal", "ip6-localhost",
        "localdomain", "localhost", "login", "mail", "mailer-daemon", "media", "mx", "noc", "noreply",
        "no-reply", "ns1", "ns2", "ns3", "ns4", "oauth", "pg", "pop", "pop3", "portal", "postmaster",
        "practica", "public", "root", "security", "signup", "smtp", "sso", "staging", "static",
        "status", "support", "template", "test", "webmail", "webmaster", "wpad", "ws", "www", "www1",
        "www2",
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
