"""Patient payments through the practice's Stripe Connect account (direct charges).

Nothing clinical ever goes to Stripe: descriptions name only the practice, metadata holds only
Practica's random ids (tests scan every request for appointment type names and notes)."""

import datetime
import uuid
from typing import Any

import stripe
from django.db import transaction
from django.utils import timezone

from notifications.services import notify_patient
from practica.accounts.models import User
from practica.patient_billing.errors import BillingError
from practica.patient_billing.ledger import PRACTICE_CURRENCY, check_amount, post_entry
from practica.patient_billing.models import LedgerEntry, PayLink, Payment, StripeCustomer
from practica.patient_billing.selectors import balance_cents, refunded_cents
from practica.patients.models import Patient
from practica.scheduling.models import Appointment, Location
from tenants.models import Practice
from tenants.stripe_gateway import stripe_client


def application_fee_cents(practice: Practice, amount_cents: int) -> int:
    bps = practice.plan.application_fee_bps if practice.plan else 0
    return amount_cents * bps // 10_000


def _connected(practice: Practice) -> str:
    if not practice.stripe_account_id or not practice.connect_charges_enabled:
        raise BillingError("This practice does not take card payments yet.")
    return practice.stripe_account_id


# --- Connect onboarding ---------------------------------------------------------------------------


def start_connect_onboarding(practice: Practice, *, refresh_url: str, return_url: str) -> str:
    """Create the practice's connected account (once) and an onboarding link; returns its URL."""
    client = stripe_client()
    if not practice.stripe_account_id:
        account = client.v1.accounts.create(
            params={
                "type": "express",
                "country": "US",
                "business_profile": {"name": practice.name},
                "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
                "metadata": {"practice": practice.schema_name},
            },
            options={"idempotency_key": f"connect-account-{practice.schema_name}"},
        )
        practice.stripe_account_id = account.id
        practice.save(update_fields=["stripe_account_id"])
        apply_account_status(practice, account.to_dict())
    link = client.v1.account_links.create(
        params={
            "account": practice.stripe_account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        }
    )
    return link.url


def refresh_connect_status(practice: Practice) -> Practice:
    if practice.stripe_account_id:
        apply_account_status(
            practice, stripe_client().v1.accounts.retrieve(practice.stripe_account_id).to_dict()
        )
    return practice


def apply_account_status(practice: Practice, account: dict[str, Any]) -> None:
    requirements = account.get("requirements") or {}
    practice.connect_charges_enabled = bool(account.get("charges_enabled"))
    practice.connect_payouts_enabled = bool(account.get("payouts_enabled"))
    practice.connect_requirements_due = list(requirements.get("currently_due") or [])
    practice.save(
        update_fields=["connect_charges_enabled", "connect_payouts_enabled", "connect_requirements_due"]
    )


# --- paying a balance (portal, pay-by-link) through Stripe's hosted Checkout ------------------------


def start_payment_checkout(
    practice: Practice,
    patient: Patient,
    amount_cents: int,
    *,
    purpose: str,
    success_url: str,
    cancel_url: str,
    currency: str = PRACTICE_CURRENCY,
    location: Location | None = None,
    pay_link: PayLink | None = None,
    appointment: Appointment | None = None,
) -> tuple[Payment, str]:
    """A payment-mode Checkout Session on the practice's account; returns the payment and the page URL.

    The ledger is posted from the payment_intent.succeeded webhook, never from the browser's return."""
    check_amount(amount_cents, currency)
    # A deposit or a copay is paid ahead of the visit's charge; every other payment settles what is owed.
    paid_ahead = purpose in (Payment.Purpose.DEPOSIT, Payment.Purpose.COPAY)
    if not paid_ahead and amount_cents > balance_cents(patient):
        raise BillingError("The amount is more than the balance owed.")
    account = _connected(practice)
    fee = application_fee_cents(practice, amount_cents)
    payment = Payment.objects.create(
        patient=patient,
        purpose=purpose,
        amount_cents=amount_cents,
        application_fee_cents=fee,
        location=location,
        pay_link=pay_link,
        appointment=appointment,
    )
    session = stripe_client().v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": PRACTICE_CURRENCY,
                        "unit_amount": amount_cents,
                        "product_data": {"name": f"Payment to {practice.name}"},
                    },
                    "quantity": 1,
                }
            ],
            "payment_intent_data": {
                "application_fee_amount": fee,
                "description": f"Payment to {practice.name}",
                "metadata": {"payment": str(payment.pk)},
            },
            "metadata": {"payment": str(payment.pk)},
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
        options={"stripe_account": account, "idempotency_key": f"checkout-{payment.pk}"},
    )
    payment.stripe_checkout_session = session.id
    payment.save(update_fields=["stripe_checkout_session"])
    assert session.url is not None
    return payment, session.url


def _payment_for(payment_intent_id: str | None, metadata: dict[str, Any] | None) -> Payment | None:
    """By the PaymentIntent, or by Practica's id in its metadata (Checkout creates the PI later)."""
    found = Payment.objects.select_for_update().filter(stripe_payment_intent=payment_intent_id or "-").first()
    payment_id = (metadata or {}).get("payment")
    if found is None and payment_id:
        found = Payment.objects.select_for_update().filter(pk=payment_id).first()
    return found


def record_payment_succeeded(payment_intent: dict[str, Any]) -> LedgerEntry | None:
    """payment_intent.succeeded on the practice's account: post the payment once (keyed by the PI)."""
    payment = _payment_for(payment_intent["id"], payment_intent.get("metadata"))
    if payment is None:
        return None  # not a payment Practica started (e.g. made in the Stripe dashboard)
    if payment.purpose == Payment.Purpose.DEPOSIT:
        from practica.patient_billing.deposits import deposit_paid

        deposit_paid(payment)
    if payment.status != Payment.Status.SUCCEEDED:
        payment.status = Payment.Status.SUCCEEDED
        payment.succeeded_at = timezone.now()
        payment.stripe_payment_intent = payment_intent["id"]
        payment.stripe_charge = payment_intent.get("latest_charge") or payment.stripe_charge
        payment.save(update_fields=["status", "succeeded_at", "stripe_payment_intent", "stripe_charge"])
    return post_entry(
        payment.patient,
        LedgerEntry.Kind.PAYMENT,
        payment_intent["amount_received"] or payment_intent["amount"],
        currency=payment_intent["currency"],
        memo=f"Card payment ({payment.get_purpose_display()})",
        location=payment.location,
        payment=payment,
        source_key=f"pi:{payment_intent['id']}",
        method=LedgerEntry.Method.CARD,
        appointment=payment.appointment,
    )


def record_payment_failed(payment_intent: dict[str, Any]) -> None:
    payment = _payment_for(payment_intent["id"], payment_intent.get("metadata"))
    if payment is not None and payment.status == Payment.Status.PENDING:
        payment.status = Payment.Status.FAILED
        payment.save(update_fields=["status"])


# --- card on file and one-click fees ---------------------------------------------------------------


def stripe_customer_for(practice: Practice, patient: Patient) -> StripeCustomer:
    existing = StripeCustomer.objects.filter(patient=patient).first()
    if existing:
        return existing
    customer = stripe_client().v1.customers.create(
        params={"metadata": {"patient": str(patient.pk)}},
        options={"stripe_account": _connected(practice), "idempotency_key": f"customer-{patient.pk}"},
    )
    return StripeCustomer.objects.create(patient=patient, stripe_customer=customer.id)


def start_card_setup(
    practice: Practice,
    patient: Patient,
    *,
    consent: bool,
    by: User | None,
    success_url: str,
    cancel_url: str,
) -> str:
    """Save a card for later fees or installments, only with the patient's recorded consent (given
    to staff, `by`, or by the patient in the portal, None); returns Stripe's page URL."""
    if not consent:
        raise BillingError("The patient must agree to keep a card on file for fees.")
    customer = stripe_customer_for(practice, patient)
    customer.card_consent_at = timezone.now()
    customer.card_consent_by = by
    customer.save(update_fields=["card_consent_at", "card_consent_by"])
    session = stripe_client().v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "currency": PRACTICE_CURRENCY,
            "customer": customer.stripe_customer,
            "setup_intent_data": {"metadata": {"patient": str(patient.pk)}},
            "success_url": success_url,
            "cancel_url": cancel_url,
        },
        options={"stripe_account": _connected(practice)},
    )
    assert session.url is not None
    return session.url


def record_card_saved(setup_intent: dict[str, Any]) -> StripeCustomer | None:
    """setup_intent.succeeded: the card is on file."""
    customer = StripeCustomer.objects.filter(stripe_customer=setup_intent.get("customer") or "").first()
    if customer is None or not setup_intent.get("payment_method"):
        return None
    customer.card_payment_method = setup_intent["payment_method"]
    customer.card_saved_at = timezone.now()
    customer.save(update_fields=["card_payment_method", "card_saved_at"])
    return customer


FEE_MEMOS = {Payment.Purpose.NO_SHOW_FEE: "No-show fee", Payment.Purpose.LATE_CANCEL_FEE: "Late-cancel fee"}


def charge_fee_to_card(
    practice: Practice,
    patient: Patient,
    amount_cents: int,
    *,
    purpose: str,
    by: User,
    request_key: uuid.UUID,
    location: Location | None = None,
) -> Payment:
    """Charge a no-show or late-cancel fee to the card on file, with one click; emails a receipt.

    `request_key` (one per rendered form) becomes the payment's id and Stripe's idempotency key,
    so a double click charges once."""
    if purpose not in FEE_MEMOS:
        raise BillingError("Unknown fee.")
    check_amount(amount_cents)
    customer = StripeCustomer.objects.filter(patient=patient).first()
    if customer is None or not customer.has_card or customer.card_consent_at is None:
        raise BillingError("This patient has no card on file.")
    account = _connected(practice)
    memo = FEE_MEMOS[Payment.Purpose(purpose)]
    fee = application_fee_cents(practice, amount_cents)
    payment, created = Payment.objects.get_or_create(
        pk=request_key,
        defaults={
            "patient": patient,
            "purpose": purpose,
            "amount_cents": amount_cents,
            "application_fee_cents": fee,
            "location": location,
        },
    )
    if not created:
        if payment.status == Payment.Status.FAILED:
            raise BillingError("That attempt was declined. Reload the page to try again.")
        raise BillingError("This fee was already charged.")
    try:
        intent = stripe_client().v1.payment_intents.create(
            params={
                "amount": amount_cents,
                "currency": PRACTICE_CURRENCY,
                "customer": customer.stripe_customer,
                "payment_method": customer.card_payment_method,
                "off_session": True,
                "confirm": True,
                "application_fee_amount": fee,
                "description": f"{memo} - {practice.name}",
                "metadata": {"payment": str(payment.pk)},
            },
            options={"stripe_account": account, "idempotency_key": f"fee-{request_key}"},
        )
    except stripe.CardError as error:
        payment.status = Payment.Status.FAILED
        payment.save(update_fields=["status"])
        raise BillingError(f"The card was declined: {error.user_message or 'no reason given'}.") from error
    except stripe.StripeError:
        payment.delete()  # nothing happened at Stripe that we know of; the same click may be retried
        raise
    with transaction.atomic():
        post_entry(
            patient,
            LedgerEntry.Kind.CHARGE,
            amount_cents,
            memo=memo,
            location=location,
            payment=payment,
            source_key=f"fee:{intent.id}",
            created_by=by,
        )
        record_payment_succeeded(intent.to_dict())
    payment.refresh_from_db()
    _send_receipt(practice, patient, payment)
    return payment


def _send_receipt(practice: Practice, patient: Patient, payment: Payment) -> None:
    when = timezone.localtime(payment.succeeded_at or timezone.now()).strftime("%B %d, %Y")
    notify_patient(
        patient,
        subject=f"Receipt from {practice.name}",
        template="billing/email/receipt.txt",
        context={
            "practice_name": practice.name,
            "amount": f"${payment.amount_cents / 100:,.2f}",
            "date": when,
            "receipt_number": str(payment.pk)[:8].upper(),
        },
    )


# --- refunds ------------------------------------------------------------------------------------------


def refund_payment(
    practice: Practice, payment: Payment, amount_cents: int | None, *, by: User
) -> LedgerEntry:
    """Full (amount None) or partial refund of a succeeded payment; posts the refund to the ledger."""
    # The payment row stays locked across the Stripe call: two billers refunding the same payment
    # at once are serialised, so the second sees the first refund and cannot over-refund.
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != Payment.Status.SUCCEEDED or not payment.stripe_payment_intent:
            raise BillingError("Only a completed payment can be refunded.")
        refundable = payment.amount_cents - refunded_cents(payment)
        amount = refundable if amount_cents is None else amount_cents
        check_amount(amount)
        if amount > refundable:
            raise BillingError(f"At most ${refundable / 100:.2f} of this payment can still be refunded.")
        refund = stripe_client().v1.refunds.create(
            params={
                "payment_intent": payment.stripe_payment_intent,
                "amount": amount,
                "metadata": {"payment": str(payment.pk)},
            },
            options={
                "stripe_account": practice.stripe_account_id or "",
                # The same refund asked twice (a double click) is one refund at Stripe.
                "idempotency_key": f"refund-{payment.pk}-{refundable}-{amount}",
            },
        )
        entry = post_entry(
            payment.patient,
            LedgerEntry.Kind.REFUND,
            refund.amount,
            memo="Card refund",
            location=payment.location,
            payment=payment,
            source_key=f"re:{refund.id}",
            created_by=by,
        )
    if entry is None:
        raise BillingError("This refund was already recorded.")
    return entry


def record_charge_refunded(charge: dict[str, Any]) -> int:
    """charge.refunded: post each refund of the charge once (those Practica made are already there)."""
    payment = _payment_for(charge.get("payment_intent"), charge.get("metadata"))
    if payment is None:
        return 0
    posted = 0
    for refund in (charge.get("refunds") or {}).get("data") or []:
        if refund.get("status") in ("failed", "canceled"):
            continue
        if post_entry(
            payment.patient,
            LedgerEntry.Kind.REFUND,
            refund["amount"],
            currency=refund["currency"],
            memo="Card refund",
            location=payment.location,
            payment=payment,
            source_key=f"re:{refund['id']}",
        ):
            posted += 1
    return posted


def daily_window(day: datetime.date, tz: datetime.tzinfo) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
    return start, start + datetime.timedelta(days=1)


def charge_card_on_file(
    practice: Practice,
    patient: Patient,
    amount_cents: int,
    *,
    payment_id: uuid.UUID,
    description: str,
    purpose: str = Payment.Purpose.BALANCE,
) -> Payment:
    """Charge what the patient owes to their saved card (off-session, a direct charge on the
    practice's account), e.g. a payment-plan installment. `payment_id` is the payment's id and the
    idempotency key: the same attempt asked twice is one charge. Posts the payment to the ledger.

    Raises BillingError when there is no card or the card is declined (the payment is then marked
    failed); Stripe's other errors propagate with nothing recorded."""
    check_amount(amount_cents)
    customer = StripeCustomer.objects.filter(patient=patient).first()
    if customer is None or not customer.has_card or customer.card_consent_at is None:
        raise BillingError("This patient has no card on file.")
    account = _connected(practice)
    fee = application_fee_cents(practice, amount_cents)
    payment, _ = Payment.objects.get_or_create(
        pk=payment_id,
        defaults={
            "patient": patient,
            "purpose": purpose,
            "amount_cents": amount_cents,
            "application_fee_cents": fee,
        },
    )
    if payment.status == Payment.Status.SUCCEEDED:
        return payment
    try:
        intent = stripe_client().v1.payment_intents.create(
            params={
                "amount": amount_cents,
                "currency": PRACTICE_CURRENCY,
                "customer": customer.stripe_customer,
                "payment_method": customer.card_payment_method,
                "off_session": True,
                "confirm": True,
                "application_fee_amount": fee,
                "description": f"{description} - {practice.name}",
                "metadata": {"payment": str(payment.pk)},
            },
            options={"stripe_account": account, "idempotency_key": f"card-on-file-{payment_id}"},
        )
    except stripe.CardError as error:
        payment.status = Payment.Status.FAILED
        payment.save(update_fields=["status"])
        raise BillingError(f"The card was declined: {error.user_message or 'no reason given'}.") from error
    with transaction.atomic():
        record_payment_succeeded(intent.to_dict())
    payment.refresh_from_db()
    return payment
