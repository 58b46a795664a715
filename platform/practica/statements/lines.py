"""The ledger lines a statement shows, grouped by visit.

The ledger is read as it is: an entry that names a visit (a field `encounter` or `appointment`
on the ledger entry, when the ledger has one) is shown under that visit, everything else under
the account's own activity. Lines carry their kind's label and amount, never the memo (staff may
have written it clinically)."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from practica.patient_billing.models import LedgerEntry
from practica.statements.models import Statement

# The ledger's fields that tie an entry to a visit, those of them this ledger has.
VISIT_FIELDS = [f.name for f in LedgerEntry._meta.get_fields() if f.name in ("encounter", "appointment")]

# What a kind of line is called on a statement. Kinds the ledger may gain (insurance payments and
# the patient's responsibility posted from remittances) are recognised by their names.
LABELS = {
    "charge": _("Charges"),
    "payment": _("Your payment"),
    "adjustment": _("Adjustment"),
    "refund": _("Refund"),
    "write_off": _("Adjustment"),
}


def label_for(kind: str) -> str:
    if "insurance" in kind or "payer" in kind:
        return str(_("Insurance paid"))
    if "responsib" in kind or kind in ("copay", "coinsurance", "deductible"):
        return str(_("Patient responsibility"))
    return str(LABELS.get(kind, _("Adjustment")))


@dataclass
class Line:
    day: datetime.date
    label: str
    amount_cents: int


@dataclass
class Section:
    title: str
    day: datetime.date | None
    lines: list[Line] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


def entries_for(statement: Statement) -> QuerySet[LedgerEntry]:
    entries = LedgerEntry.objects.filter(patient_id=statement.patient_id, posted_at__lte=statement.cutoff)
    if statement.since is not None:
        entries = entries.filter(posted_at__gt=statement.since)
    return entries.select_related(*VISIT_FIELDS).order_by("posted_at", "id")


def _visit_of(entry: LedgerEntry) -> tuple[object, datetime.date | None] | None:
    for name in VISIT_FIELDS:
        visit = getattr(entry, name, None)
        if visit is not None:
            day = getattr(visit, "date_of_service", None) or getattr(visit, "start", None)
            if isinstance(day, datetime.datetime):
                day = day.date()
            return visit.pk, day
    return None


def sections(entries: Iterable[LedgerEntry], zone: ZoneInfo) -> list[Section]:
    """Visits first (by date), then the account's activity; lines in posting order."""
    visits: dict[object, Section] = {}
    account = Section(title=str(_("Account activity")), day=None)
    for entry in entries:
        line = Line(
            day=entry.posted_at.astimezone(zone).date(),
            label=label_for(entry.kind),
            amount_cents=entry.amount_cents,
        )
        visit = _visit_of(entry)
        if visit is None:
            account.lines.append(line)
            continue
        key, day = visit
        if key not in visits:
            title = _("Visit on %(date)s") % {"date": day.isoformat()} if day else _("Visit")
            visits[key] = Section(title=str(title), day=day)
        visits[key].lines.append(line)
    ordered = sorted(visits.values(), key=lambda s: s.day or datetime.date.min)
    return ordered + ([account] if account.lines else [])
