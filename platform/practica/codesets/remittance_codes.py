"""The CARC and RARC tables as shipped in `codesets/data/` (our own wording; the code lists are
maintained by X12 and CMS). Read by `loading.load_remittance_codes` and the migration that first
loads them."""

import csv
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
FILES = {"carc": DATA / "carc.csv", "rarc": DATA / "rarc.csv"}


@dataclass(frozen=True)
class CodeRow:
    kind: str
    code: str
    category: str
    meaning: str


def shipped_codes() -> list[CodeRow]:
    """Every row of both files, in file order; a file with a bad row raises ValueError naming it."""
    from practica.codesets.models import AdjustmentCategory

    categories = set(AdjustmentCategory.values)
    rows: list[CodeRow] = []
    for kind, path in FILES.items():
        with path.open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                code, category, meaning = (
                    (row.get(k) or "").strip() for k in ("code", "category", "meaning")
                )
                if None in row or not code or not meaning or category not in categories:
                    raise ValueError(
                        f"{path.name} line {line}: needs a code, a known category and a meaning "
                        "(quoted if it holds a comma)"
                    )
                rows.append(CodeRow(kind, code, category, meaning))
    return rows
