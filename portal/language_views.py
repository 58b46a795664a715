"""The portal's language switcher."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from portal.locale import supported
from portal.sessions import patient_actor, session_account
from practica.audit.context import acting_as
from practica.patients import services as patient_services


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the language cookie, then back to `next` on this host); a signed-in
    patient's choice is also saved on their profile, so their emails and texts follow it."""
    response = django_set_language(request)
    language = supported(request.POST.get("language"))
    account = session_account(request) if language else None
    if account is not None and language:
        with acting_as(patient_actor(request, account, account.patient)):
            patient_services.set_preferred_language(account.patient, language)
    return response
