"""Reads of the code sets (the coding screen's search, the scrubber's look-ups)."""

import re
from collections.abc import Iterable

from django.db.models import Q, QuerySet

from practica.codesets.models import Icd10Code, PlaceOfService, RemittanceCode

CODE_LIKE = re.compile(r"^[A-Za-z][0-9][0-9A-Za-z.]{0,6}$")


def search_diagnoses(text: str, limit: int = 20) -> QuerySet[Icd10Code]:
    """Billable ICD-10-CM codes, in code order: those starting with the text when it looks like a
    code (E11, e11.6, E116), otherwise those whose description holds every word of it. Each kind
    reads an index of the billable codes (migration 0003), never the whole table."""
    text = " ".join(text.split())
    found = Icd10Code.objects.filter(billable=True)
    if not text:
        return found.none()
    if CODE_LIKE.match(text):
        found = found.filter(compact__startswith=text.replace(".", "").upper())
    else:
        for word in text.split():
            found = found.filter(description__icontains=word)
    return found.order_by("code")[:limit]


def billable_codes(codes: Iterable[str]) -> dict[str, Icd10Code]:
    """The billable rows among these codes (dotted or compact), by their compact form."""
    compact = {code.replace(".", "").strip().upper() for code in codes}
    return {row.compact: row for row in Icd10Code.objects.filter(compact__in=compact, billable=True)}


def place_of_service(code: str) -> PlaceOfService | None:
    return PlaceOfService.objects.filter(code=code, is_active=True).first()


def remittance_codes(
    carcs: Iterable[str] = (), rarcs: Iterable[str] = ()
) -> dict[tuple[str, str], RemittanceCode]:
    """The meaning rows of these reason (CARC) and remark (RARC) codes, by (kind, code), in one
    query. A code the table does not know is simply absent: callers show the bare code."""
    carc, rarc = {c.strip().upper() for c in carcs if c}, {c.strip().upper() for c in rarcs if c}
    if not carc and not rarc:
        return {}
    found = RemittanceCode.objects.filter(
        Q(kind=RemittanceCode.Kind.CARC, code__in=carc) | Q(kind=RemittanceCode.Kind.RARC, code__in=rarc)
    )
    return {(row.kind, row.code): row for row in found.order_by()}
