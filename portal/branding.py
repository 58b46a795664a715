"""The practice's portal look: a logo and one primary colour, set in the back office."""

import re

from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile

from portal.models import PracticeBranding
from practica.core.tenancy import current_schema
from practica.intake.errors import UploadRejected
from practica.intake.uploads import check_upload

DEFAULT_COLOUR = "#1f5f8b"
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
LOGO_TYPES = ("image/png", "image/jpeg")  # what every browser shows; PDF and HEIC are not logos
THEME_CSS = """.portal-nav { border-bottom: 4px solid COLOUR; }
.portal-nav a { color: COLOUR; }
a.button, button[type=submit]:not(.link) { background: COLOUR; border-color: COLOUR; color: #fff; }
.portal-brand { display: none; }
"""
LOGO_CSS = """.portal-brand { display: block; height: 48px; margin: 0.5rem 0;
  background: url("LOGO_URL") no-repeat left center / contain; }
"""


def current_branding() -> PracticeBranding | None:
    if current_schema() == "public":
        return None
    return PracticeBranding.objects.first()


def _cache_key() -> str:
    return f"portal-branding:{current_schema()}"


def branding_summary() -> dict[str, object]:
    """Whether there is a logo, and the colour: read on every portal page, so kept in the cache
    (dropped whenever the branding changes) rather than costing each page a query."""
    summary = cache.get(_cache_key())
    if summary is None:
        current = current_branding()
        colour = current.primary_colour if current is not None else DEFAULT_COLOUR
        summary = {
            "has_logo": bool(current is not None and current.logo),
            # Only a checked hex colour ever reaches the stylesheet.
            "colour": colour if HEX_COLOUR.match(colour) else DEFAULT_COLOUR,
        }
        cache.set(_cache_key(), summary, 3600)
    return dict(summary)


def contrast_with_white(colour: str) -> float:
    """WCAG 2.1 contrast ratio of white text on `colour` (#rrggbb)."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


# Buttons carry white text on the brand colour: WCAG AA asks 4.5:1 for normal text.
MIN_CONTRAST = 4.5


def colour_problem(colour: str) -> str | None:
    """Why a brand colour cannot be used, or None."""
    if not HEX_COLOUR.match(colour):
        return "Enter the colour as #rrggbb, e.g. #1f5f8b."
    if contrast_with_white(colour) < MIN_CONTRAST:
        return "This colour is too light for white button text (WCAG AA needs 4.5:1): choose a darker one."
    return None


def primary_colour() -> str:
    return str(branding_summary()["colour"])


def update_branding(*, primary_colour: str, logo: UploadedFile | None = None) -> PracticeBranding:
    """Raises UploadRejected for a logo that is not a PNG or JPEG by content (or fails the intake
    upload checks), ValueError for a colour that is not #rrggbb."""
    problem = colour_problem(primary_colour)
    if problem:
        raise ValueError(problem)
    content_type = check_upload(logo) if logo is not None else None
    if content_type is not None and content_type not in LOGO_TYPES:
        raise UploadRejected("The logo must be a PNG or JPEG image.")
    current = PracticeBranding.objects.first() or PracticeBranding()
    current.primary_colour = primary_colour.lower()
    if logo is not None and content_type is not None:
        current.logo.save("logo", logo, save=False)
        current.logo_content_type = content_type
    current.save()
    cache.delete(_cache_key())
    return current
