import datetime

from django.db.models import Count, Q, QuerySet, Sum

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
    """Payments and refunds posted on `day` (in the practice's time zone), per location."""
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    end = start + datetime.timedelta(days=1)
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
