"""A claim goes on to the patient's next coverage with what its payer's posted remittance says
(practica.claims.secondary keeps it on the new claim for the 837P's loops 2320/2430)."""

import datetime

from django.utils import timezone

from practica.claims.errors import ClaimsError
from practica.claims.models import Claim, ClaimLine
from practica.claims.secondary import Adjustment, LineOutcome, PayerOutcome, create_next_payer_claim
from practica.remittance.models import Adjustment as PostedAdjustment
from practica.remittance.models import ClaimPayment
from practica.remittance.posting import REVERSAL, load_bundles


def _adjustments(rows: list[PostedAdjustment]) -> tuple[Adjustment, ...]:
    return tuple(Adjustment(a.group, a.reason_code, a.amount_cents) for a in rows)


def forward_to_next_payer(claim: Claim, *, today: datetime.date | None = None) -> Claim:
    """A draft claim to the next coverage carrying the claim's latest posted payment (not a
    reversal): what was paid and every CAS adjustment, by line control number."""
    payment = (
        ClaimPayment.objects.filter(claim=claim, state=ClaimPayment.State.POSTED)
        .exclude(status_code=REVERSAL)
        .select_related("remittance", "claim")
        .order_by("-posted_at")
        .first()
    )
    if payment is None:
        raise ClaimsError("No remittance has been posted to this claim yet.", "not_adjudicated")
    (bundle,) = load_bundles([payment])
    controls = dict(
        ClaimLine.objects.filter(
            pk__in=[s.claim_line_id for s in bundle.services if s.claim_line_id]
        ).values_list("pk", "line_control_number")
    )
    outcome = PayerOutcome(
        paid_cents=payment.paid_cents,
        adjudicated_on=payment.remittance.payment_date or today or timezone.localdate(),
        payer_claim_number=payment.payer_claim_control_number,
        adjustments=_adjustments(bundle.claim_adjustments),
        lines={
            controls[s.claim_line_id]: LineOutcome(s.paid_cents, _adjustments(bundle.adjustments_of(s)))
            for s in bundle.services
            if s.claim_line_id in controls
        },
    )
    return create_next_payer_claim(claim, outcome, today=today)
