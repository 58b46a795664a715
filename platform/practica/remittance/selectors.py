"""Remittance reads for the back office, each in a fixed number of queries."""

from django.db.models import Count, Q, QuerySet, Sum

from practica.claims.models import Claim
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


def insurance_deposits(start: object, end: object) -> list[dict[str, object]]:
    """Insurance money received in [start, end): per payer, posted payments (what the daily close
    shows beside patients' payments)."""
    from practica.remittance.models import InsuranceLedgerEntry

    rows = (
        InsuranceLedgerEntry.objects.filter(posted_at__gte=start, posted_at__lt=end, kind="payment")
        .values("claim_payment__remittance__payer_name", "claim_payment__remittance__trace_number")
        .annotate(total=Sum("amount_cents"))
        .order_by("claim_payment__remittance__payer_name", "claim_payment__remittance__trace_number")
    )
    return [
        {
            "payer": r["claim_payment__remittance__payer_name"] or "Payer",
            "trace_number": r["claim_payment__remittance__trace_number"],
            "amount_cents": r["total"] or 0,
        }
        for r in rows
    ]
