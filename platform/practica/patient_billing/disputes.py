"""Disputes (chargebacks) on the practice's account: recorded, and a lost one reverses the payment."""

from typing import Any

from practica.patient_billing.ledger import post_entry
from practica.patient_billing.models import Dispute, LedgerEntry, Payment


def record_dispute(dispute: dict[str, Any], event_created: int) -> Dispute:
    """Create or update the dispute; an event older than the last one applied changes nothing,
    so a late `created` after `closed` leaves the dispute closed."""
    payment = (
        Payment.objects.filter(stripe_payment_intent=dispute.get("payment_intent") or "-").first()
        or Payment.objects.filter(stripe_charge=dispute.get("charge") or "-").first()
    )
    record, created = Dispute.objects.select_for_update().get_or_create(
        stripe_dispute=dispute["id"],
        defaults={
            "payment": payment,
            "stripe_charge": dispute.get("charge") or "",
            "amount_cents": dispute["amount"],
            "reason": dispute.get("reason") or "",
            "status": dispute["status"],
            "last_event_created": event_created,
        },
    )
    if not created and event_created >= record.last_event_created:
        record.status = dispute["status"]
        record.reason = dispute.get("reason") or record.reason
        record.last_event_created = event_created
        record.payment = record.payment or payment
        record.save(update_fields=["status", "reason", "last_event_created", "payment"])
    if record.status == "lost" and record.payment is not None:
        post_entry(
            record.payment.patient,
            LedgerEntry.Kind.ADJUSTMENT,
            record.amount_cents,
            memo="Card payment reversed (dispute lost)",
            location=record.payment.location,
            payment=record.payment,
            source_key=f"dp:{record.stripe_dispute}",
        )
    return record
