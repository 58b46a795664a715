"""Reads of the denials work queue: the queue with its filters, in a fixed number of queries."""

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from practica.codesets.models import RemittanceCode
from practica.codesets.selectors import remittance_codes
from practica.denials.models import DenialItem

SORTS = {"due": ("due_on", "-amount_cents"), "amount": ("-amount_cents", "due_on")}
AGES = {"30": (0, 30), "60": (31, 60), "90": (61, 90), "older": (91, None)}
#: How far ahead "due soon" looks (the home page's number and the queue's filter).
DUE_SOON_DAYS = 7
DUES = {"overdue": "Past the due date", "soon": f"Due in the next {DUE_SOON_DAYS} days"}


@dataclass(frozen=True)
class QueueFilter:
    status: str = DenialItem.Status.OPEN
    category: str = ""
    payer_id: uuid.UUID | None = None
    owner_id: int | None = None
    age: str = ""  # a key of AGES: days since the denial
    due: str = ""  # a key of DUES: past its due date, or due within DUE_SOON_DAYS
    sort: str = "due"


def denial_queue(f: QueueFilter, today: datetime.date) -> QuerySet[DenialItem]:
    items = DenialItem.objects.select_related("claim", "claim__encounter", "payer", "patient", "claim_line")
    if f.status:
        items = items.filter(status=f.status)
    if f.category:
        items = items.filter(category=f.category)
    if f.payer_id:
        items = items.filter(payer_id=f.payer_id)
    if f.owner_id:
        items = items.filter(owner_id=f.owner_id)
    if f.age in AGES:
        low, high = AGES[f.age]
        items = items.filter(denied_on__lte=today - datetime.timedelta(days=low))
        if high is not None:
            items = items.filter(denied_on__gte=today - datetime.timedelta(days=high))
    if f.due == "overdue":
        items = items.filter(due_on__lt=today)
    elif f.due == "soon":
        items = items.filter(due_on__gte=today, due_on__lte=today + datetime.timedelta(days=DUE_SOON_DAYS))
    return items.order_by(*SORTS.get(f.sort, SORTS["due"]), "id")


def meanings(items: list[DenialItem]) -> dict[tuple[str, str], RemittanceCode]:
    """The meanings of every code on these items, in one query."""
    carcs = {code.split("-", 1)[-1] for item in items for code in item.reason_codes}
    rarcs = {code for item in items for code in item.remark_codes}
    return remittance_codes(carcs, rarcs)


def explain(item: DenialItem, found: dict[tuple[str, str], RemittanceCode]) -> list[tuple[str, str]]:
    """(code as sent, its meaning in plain words, or '' when the table does not know it)."""
    rows = []
    for code in item.reason_codes:
        row = found.get(("carc", code.split("-", 1)[-1]))
        rows.append((code, row.meaning if row else ""))
    for code in item.remark_codes:
        row = found.get(("rarc", code))
        rows.append((code, row.meaning if row else ""))
    return rows
