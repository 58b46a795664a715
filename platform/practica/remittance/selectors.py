"""Remittance reads for the back office, each in a fixed number of queries."""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from practica.claims.models import Claim, ClaimLine
from practica.remittance.models import ClaimPayment, Remittance, RemittanceException


def recent_remittances(limit: int = 50) -> QuerySet[Remittance]:
    return (
        Remittance.objects.select_related("file", "payer")
        .annotate(
            posted=Count("claim_payments", filter=Q(claim_payments__state=ClaimPayment.State.POSTED)),
            held=Count("claim_payments", filter=Q(claim_payments__state=ClaimPayment.State.HELD)),
        )
        .order_by("-created_at", "position")[:limit]
    )


def open_exceptions(kind: str = "") -> QuerySet[RemittanceException]:
    rows = RemittanceException.objects.filter(status=RemittanceException.Status.OPEN).select_related(
        "remittance__file", "claim_payment__claim", "service", "file"
    )
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("-created_at", "id")


def exception_counts() -> dict[str, int]:
    return dict(
        RemittanceException.objects.filter(status=RemittanceException.Status.OPEN)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )


def remittance_in_detail(remittance_id: str) -> QuerySet[Remittance]:
    return Remittance.objects.select_related("file", "payer").prefetch_related(
        "claim_payments__claim", "provider_adjustments", "exceptions"
    )


def claim_for_posting(patient_control_number: str) -> Claim | None:
    return (
        Claim.objects.select_related("payer", "patient")
        .prefetch_related("lines")
        .filter(patient_control_number=patient_control_number.strip())
        .first()
    )


@dataclass(frozen=True)
class LineBalance:
    """What insurance has done with a claim line, in cents: `open` is its charge less everything
    posted but denials still in the work queue (`denied_open`)."""

    line: ClaimLine
    paid: int
    adjusted: int
    denied_open: int
    open: int


def insurance_balances(claim: Claim) -> list[LineBalance]:
    """Each line of the claim with what is paid, adjusted and still open, in two queries."""
    from practica.remittance.models import InsuranceLedgerEntry

    Kind = InsuranceLedgerEntry.Kind
    sums = {
        row["claim_line_id"]: row
        for row in InsuranceLedgerEntry.objects.filter(claim=claim, claim_line__isnull=False)
        .values("claim_line_id")
        .annotate(
            paid=Sum("amount_cents", filter=Q(kind=Kind.PAYMENT), default=0),
            denied=Sum("amount_cents", filter=Q(kind=Kind.DENIED), default=0),
            resolved=Sum("amount_cents", filter=Q(kind__in=(Kind.WRITTEN_OFF, Kind.TRANSFERRED)), default=0),
            settled=Sum("amount_cents", filter=~Q(kind=Kind.DENIED), default=0),
        )
        .order_by()
    }
    rows = []
    for line in ClaimLine.objects.filter(claim=claim).order_by("line_number"):
        s = sums.get(line.pk, {"paid": 0, "denied": 0, "resolved": 0, "settled": 0})
        rows.append(
            LineBalance(
                line=line,
                paid=s["paid"],
                adjusted=s["settled"] - s["paid"],
                denied_open=max(s["denied"] - s["resolved"], 0),
                open=line.charge_cents - s["settled"],
            )
        )
    return rows


def insurance_deposits(day: datetime.date, tz: datetime.tzinfo) -> list[dict[str, Any]]:
    """Insurance money posted on the day (midnight to midnight in `tz`), one row per check or EFT
    (835 or posted by hand): payer, method, trace or check number, what its claim payments posted
    that day, and the payment's own total (less the payer's provider-level adjustments). What the
    daily close shows beside patients' payments; one query."""
    from practica.remittance.models import InsuranceLedgerEntry

    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    prefix = "claim_payment__remittance__"
    rows = (
        InsuranceLedgerEntry.objects.filter(
            posted_at__gte=start,
            posted_at__lt=end,
            kind=InsuranceLedgerEntry.Kind.PAYMENT,
        )
        .values(
            f"{prefix}id",
            f"{prefix}payer_name",
            f"{prefix}payer__name",
            f"{prefix}trace_number",
            f"{prefix}payment_method",
            f"{prefix}total_paid_cents",
            f"{prefix}is_manual",
        )
        .annotate(total=Sum("amount_cents"))
        .order_by(f"{prefix}payer_name", f"{prefix}trace_number", f"{prefix}id")
    )
    methods = dict(Remittance.Method.choices)
    return [
        {
            "payer": r[f"{prefix}payer_name"] or r[f"{prefix}payer__name"] or "Payer",
            "method": methods.get(r[f"{prefix}payment_method"], "Payment"),
            "trace_number": r[f"{prefix}trace_number"],
            "manual": r[f"{prefix}is_manual"],
            "posted_cents": r["total"] or 0,
            "payment_cents": r[f"{prefix}total_paid_cents"],
        }
        for r in rows
    ]
