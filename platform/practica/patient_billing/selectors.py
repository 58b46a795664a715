import datetime
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Sum, Value, When

from practica.patient_billing.models import LedgerEntry, Payment
from practica.patients.models import Patient


def balance_cents(patient: Patient) -> int:
    """What the patient owes (negative: a credit), derived from the ledger only."""
    total = LedgerEntry.objects.filter(patient=patient).aggregate(total=Sum("amount_cents"))["total"]
    return int(total or 0)


def patients_owing(limit: int = 50) -> QuerySet[Patient]:
    """Patients with a balance owed, largest first: where the back office starts collecting."""
    return (
        Patient.objects.annotate(balance=Sum("ledger_entries__amount_cents"))
        .filter(balance__gt=0)
        .order_by("-balance", "last_name")[:limit]
    )


def ledger_for(patient: Patient) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(patient=patient).select_related("location", "payment", "created_by")


def refunded_cents(payment: Payment) -> int:
    total = LedgerEntry.objects.filter(payment=payment, kind=LedgerEntry.Kind.REFUND).aggregate(
        total=Sum("amount_cents")
    )["total"]
    return int(total or 0)


def daily_payments_by_location(day: datetime.date, tz: datetime.tzinfo) -> list[dict[str, object]]:
    """Payments and refunds posted on `day` (in the practice's time zone), per location, in one query."""
    start, end = _day(day, tz)
    rows = (
        LedgerEntry.objects.filter(
            posted_at__gte=start,
            posted_at__lt=end,
            kind__in=[LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.REFUND],
        )
        .values("location__name")
        .annotate(
            payments=Sum("amount_cents", filter=Q(kind=LedgerEntry.Kind.PAYMENT)),
            refunds=Sum("amount_cents", filter=Q(kind=LedgerEntry.Kind.REFUND)),
            count=Count("id", filter=Q(kind=LedgerEntry.Kind.PAYMENT)),
        )
        .order_by("location__name")
    )
    return [
        {
            "location": row["location__name"] or "No location",
            "payments_cents": -(row["payments"] or 0),
            "refunds_cents": row["refunds"] or 0,
            "net_cents": -(row["payments"] or 0) - (row["refunds"] or 0),
            "count": row["count"],
        }
        for row in rows
    ]


def balance_cents_at(entry: LedgerEntry) -> int:
    """The patient's balance just after this entry was posted (entries are ordered by time, then id)."""
    total = (
        LedgerEntry.objects.filter(patient_id=entry.patient_id)
        .filter(Q(posted_at__lt=entry.posted_at) | Q(posted_at=entry.posted_at, id__lte=entry.id))
        .aggregate(total=Sum("amount_cents"))["total"]
    )
    return int(total or 0)


# A payment's method; card payments posted before the method was recorded are known by their Payment.
PAYMENT_METHOD = Case(
    When(~Q(method=""), then=F("method")),
    When(payment__isnull=False, then=Value(LedgerEntry.Method.CARD)),
    default=Value("other"),
    output_field=CharField(),
)

METHOD_LABELS = {**dict(LedgerEntry.Method.choices), "other": "Other"}


def daily_close(day: datetime.date, tz: datetime.tzinfo) -> list[dict[str, Any]]:
    """The day's close per location: payments by method (every method, zero included), refunds,
    and the cash and checks each staff member took, to count the drawer against."""
    start, end = _day(day, tz)
    entries = LedgerEntry.objects.filter(
        posted_at__gte=start,
        posted_at__lt=end,
        kind__in=[LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.REFUND],
    ).annotate(paid_by=PAYMENT_METHOD)
    by_method = (
        entries.values("location_id", "location__name", "kind", "paid_by")
        .annotate(total=Sum("amount_cents"), count=Count("id"))
        .order_by()
    )
    drawer = (
        entries.filter(kind=LedgerEntry.Kind.PAYMENT, paid_by__in=[LedgerEntry.Method.CASH, "check"])
        .values("location_id", "created_by__full_name", "created_by__email", "paid_by")
        .annotate(total=Sum("amount_cents"), count=Count("id"))
        .order_by()
    )
    locations: dict[Any, dict[str, Any]] = {}

    def location_row(location_id: Any, name: str | None) -> dict[str, Any]:
        return locations.setdefault(
            location_id,
            {
                "location": name or "No location",
                "methods": {method: {"cents": 0, "count": 0} for method in METHOD_LABELS},
                "refunds_cents": 0,
                "staff": {},
            },
        )

    for row in by_method:
        place = location_row(row["location_id"], row["location__name"])
        if row["kind"] == LedgerEntry.Kind.REFUND:
            place["refunds_cents"] += row["total"]
        else:
            place["methods"][row["paid_by"]]["cents"] += -row["total"]
            place["methods"][row["paid_by"]]["count"] += row["count"]
    for person_row in drawer:
        place = locations[person_row["location_id"]]
        who = person_row["created_by__full_name"] or person_row["created_by__email"] or "Unknown"
        person = place["staff"].setdefault(who, {"cash_cents": 0, "check_cents": 0, "count": 0})
        person[f"{person_row['paid_by']}_cents"] += -person_row["total"]
        person["count"] += person_row["count"]
    result = []
    for place in sorted(locations.values(), key=lambda p: p["location"]):
        payments = sum(m["cents"] for m in place["methods"].values())
        result.append(
            {
                "location": place["location"],
                "methods": [
                    {"method": METHOD_LABELS[key], **value} for key, value in place["methods"].items()
                ],
                "payments_cents": payments,
                "count": sum(m["count"] for m in place["methods"].values()),
                "refunds_cents": place["refunds_cents"],
                "net_cents": payments - place["refunds_cents"],
                "staff": [{"name": name, **totals} for name, totals in sorted(place["staff"].items())],
            }
        )
    return result


def _day(day: datetime.date, tz: datetime.tzinfo) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return start, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
