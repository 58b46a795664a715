"""Loading the code sets into their tables. The ICD-10-CM package is imported here only, by the
command that runs this on deploy: importing it takes seconds and ~185 MB, which no web process
should pay; they read the table."""

import importlib.metadata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction

from practica.codesets.models import Icd10Code, PlaceOfService
from practica.codesets.places import PLACES_OF_SERVICE

ICD10_PACKAGE = "simple-icd-10-cm"
PARTIAL = " (partial)"
BATCH = 5000


def icd10_edition() -> str:
    """The installed package's version (read from its metadata, without importing it)."""
    return importlib.metadata.version(ICD10_PACKAGE)


def icd10_loaded(edition: str | None = None) -> bool:
    """A full load of this edition is in the table (a full load is one transaction: all or none)."""
    return Icd10Code.objects.filter(edition=edition or icd10_edition()).exists()


@dataclass(frozen=True)
class Loaded:
    written: int
    retired: int


def _rows(codes: Iterable[str], edition: str) -> list[Icd10Code]:
    import simple_icd_10_cm as cm

    rows = []
    for code in codes:
        chapter = block = ""
        for ancestor in cm.get_ancestors(code):
            if cm.is_chapter(ancestor):
                chapter = ancestor
            elif cm.is_block(ancestor) and not block:
                block = ancestor
        if cm.is_block(code) and not block:
            block = code
        is_chapter = cm.is_chapter(code)
        # Billable means a leaf of the tree (is_valid_item is true for blocks and categories too).
        rows.append(
            Icd10Code(
                code=code,
                compact=code.replace(".", ""),
                description=cm.get_description(code)[:400],
                billable=cm.is_leaf(code),
                chapter=code if is_chapter else chapter,
                block=block,
                category=code[:3] if cm.is_category_or_subcategory(code) else "",
                edition=edition,
            )
        )
    return rows


def load_icd10(only: Sequence[str] = ()) -> Loaded:
    """Write the package's ICD-10-CM items into the table, updating rows already there. With
    `only` (code prefixes, e.g. E11 or I10), just the items under them (tests, quick fixes), marked
    as a partial load. A full load also retires (billable off) codes the edition no longer has."""
    import simple_icd_10_cm as cm

    edition = icd10_edition()
    # A block named like its only category (B10) is listed twice: one row per code.
    codes: list[str] = list(dict.fromkeys(cm.get_all_codes(True)))
    if only:
        prefixes = tuple(prefix.strip().upper() for prefix in only)
        codes = [code for code in codes if code.startswith(prefixes)]
        edition += PARTIAL
    rows = _rows(codes, edition)
    fields = ["compact", "description", "billable", "chapter", "block", "category", "edition"]
    with transaction.atomic():
        for start in range(0, len(rows), BATCH):
            Icd10Code.objects.bulk_create(
                rows[start : start + BATCH],
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=fields,
            )
        retired = 0
        if not only:
            retired = Icd10Code.objects.exclude(edition=edition).filter(billable=True).update(billable=False)
    return Loaded(written=len(rows), retired=retired)


def load_places_of_service() -> int:
    rows = [PlaceOfService(code=c, label=label, telehealth=tele) for c, label, tele in PLACES_OF_SERVICE]
    PlaceOfService.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["code"], update_fields=["label", "telehealth"]
    )
    return len(rows)


def load_remittance_codes() -> int:
    """Write the shipped CARC/RARC rows (updating wording and category of rows already there) and
    retire codes the files no longer hold, so a payer's old code still reads but is marked so."""
    from practica.codesets.models import RemittanceCode
    from practica.codesets.remittance_codes import shipped_codes

    rows = [
        RemittanceCode(
            kind=row.kind, code=row.code, category=row.category, meaning=row.meaning, is_active=True
        )
        for row in shipped_codes()
    ]
    with transaction.atomic():
        RemittanceCode.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["kind", "code"],
            update_fields=["category", "meaning", "is_active"],
        )
        shipped = {(row.kind, row.code) for row in rows}
        stale = [
            pk
            for pk, kind, code in RemittanceCode.objects.filter(is_active=True).values_list(
                "pk", "kind", "code"
            )
            if (kind, code) not in shipped
        ]
        RemittanceCode.objects.filter(pk__in=stale).update(is_active=False)
    return len(rows)
