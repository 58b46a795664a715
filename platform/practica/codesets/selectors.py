"""Reads of the code sets (the coding screen's search, the scrubber's look-ups)."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from practica.codesets.models import Icd10Code, PlaceOfService


def search_diagnoses(text: str, limit: int = 20) -> QuerySet[Icd10Code]:
    """Billable ICD-10-CM codes whose code starts with the text (with or without the dot), or whose
    description holds every word of it."""
    text = " ".join(text.split())
    found = Icd10Code.objects.filter(billable=True)
    if not text:
        return found.none()
    compact = text.replace(".", "").upper()
    by_words = Q()
    for word in text.split():
        by_words &= Q(description__icontains=word)
    return found.filter(Q(compact__startswith=compact) | by_words).order_by("code")[:limit]


def billable_codes(codes: Iterable[str]) -> dict[str, Icd10Code]:
    """The billable rows among these codes (dotted or compact), by their compact form."""
    compact = {code.replace(".", "").strip().upper() for code in codes}
    return {row.compact: row for row in Icd10Code.objects.filter(compact__in=compact, billable=True)}


def place_of_service(code: str) -> PlaceOfService | None:
    return PlaceOfService.objects.filter(code=code, is_active=True).first()
