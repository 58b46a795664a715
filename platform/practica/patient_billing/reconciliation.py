"""Matching the practice's Stripe payouts to the payments and refunds in the ledgers."""

from typing import Any

from practica.patient_billing.errors import BillingError
from practica.patient_billing.models import LedgerEntry
from tenants.models import Practice
from tenants.stripe_gateway import stripe_client


def reconcile_payouts(practice: Practice, limit: int = 10) -> list[dict[str, Any]]:
    """For each recent payout: its balance transactions, each matched (or not) to a ledger entry."""
    if not practice.stripe_account_id:
        raise BillingError("This practice has no Stripe account yet.")
    client = stripe_client()
    options: Any = {"stripe_account": practice.stripe_account_id}
    result = []
    for payout in client.v1.payouts.list(params={"limit": limit}, options=options).data:
        lines: list[dict[str, Any]] = []
        for balance_transaction in client.v1.balance_transactions.list(
            params={"payout": payout.id, "limit": 100}, options=options
        ).data:
            txn = balance_transaction.to_dict()
            source = txn.get("source") or ""
            if txn.get("type") == "payout":
                continue
            matched = LedgerEntry.objects.filter(payment__stripe_charge=source).exists() or (
                LedgerEntry.objects.filter(source_key=f"re:{source}").exists()
            )
            lines.append(
                {
                    "type": txn.get("type"),
                    "source": source,
                    "amount_cents": txn.get("amount"),
                    "fee_cents": txn.get("fee"),
                    "net_cents": txn.get("net"),
                    "matched": matched,
                }
            )
        result.append(
            {
                "id": payout.id,
                "amount_cents": payout.amount,
                "arrival_date": payout.arrival_date,
                "status": payout.status,
                "lines": lines,
                "unmatched": sum(1 for line in lines if not line["matched"]),
                "lines_net_cents": sum(line["net_cents"] or 0 for line in lines),
            }
        )
    return result
