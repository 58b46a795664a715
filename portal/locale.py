"""Which language the patient portal speaks.

A signed-in patient's profile language wins (`use_patient_language`, called by `patient_required`).
Before sign-in: the visitor's choice on the portal's language switcher (Django's language cookie),
then the browser's Accept-Language, then English. Everything outside the portal (the back office,
the public site) stays English whatever the browser asks for.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from practica.patients.models import Patient
from practica.patients.selectors import preferred_language

PORTAL_PREFIX = "/portal/"
BACK_OFFICE_PREFIX = "/portal/staff/"  # staff pages that live under the portal's URLs


def is_portal_page(path: str) -> bool:
    return path.startswith(PORTAL_PREFIX) and not path.startswith(BACK_OFFICE_PREFIX)


def supported(language: str | None) -> str | None:
    """The language code when the portal speaks it, else None."""
    return language if language in dict(settings.LANGUAGES) else None


def use_patient_language(request: HttpRequest, patient: Patient) -> None:
    language = supported(preferred_language(patient))
    if language:
        translation.activate(language)
        request.LANGUAGE_CODE = language


class PortalLanguageMiddleware:
    """Activates the portal's language for the request, and English again once it is answered, so
    a Spanish page never leaves Spanish behind in the thread for the next request or task."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        portal = is_portal_page(request.path_info)
        language = translation.get_language_from_request(request) if portal else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
        finally:
            chosen = request.LANGUAGE_CODE
            translation.activate(settings.LANGUAGE_CODE)
        if portal:
            patch_vary_headers(response, ("Accept-Language",))
            response.headers.setdefault("Content-Language", chosen)
        return response
