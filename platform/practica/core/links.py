"""Absolute links to the public site and to practice subdomains."""

from django.conf import settings


def site_root(host: str) -> str:
    return f"{settings.PUBLIC_SCHEME}://{host}{settings.PUBLIC_PORT}"


def public_url(path: str = "/") -> str:
    return site_root(settings.BASE_DOMAIN) + path


def practice_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def practice_url(slug: str, path: str = "/") -> str:
    return site_root(practice_host(slug)) + path
