"""Which language a patient reads: the one rule, used by every message Practica sends them (the
outbox's emails and texts, replies to their texts, the portal's account emails).

Their profile's language; without one, what they are visibly using now (`hint`: the portal
page's language, a Spanish keyword in a text); then the practice's default; then English."""

from django.conf import settings

from notifications.models import Language, ReminderPolicy
from notifications.policy import current_policy
from practica.patients.models import Patient
from practica.patients.selectors import preferred_language


def language_for(
    profile_language: str | None, *, practice_default: str | None, hint: str | None = None
) -> str:
    """The rule on values already read (a batch reads every profile at once: notifications.content)."""
    supported = dict(settings.LANGUAGES)
    for candidate in (profile_language, hint, practice_default):
        if candidate in supported:
            return candidate
    return Language.ENGLISH


def patient_language(
    patient: Patient | None, *, hint: str | None = None, policy: ReminderPolicy | None = None
) -> str:
    """The rule for one patient (None: someone not yet matched to a record)."""
    profile_language = preferred_language(patient) if patient is not None else None
    if profile_language in dict(settings.LANGUAGES):
        return profile_language  # no need to read the practice's policy
    return language_for(None, practice_default=(policy or current_policy()).default_language, hint=hint)
