"""Pay-by-link: a signed link, valid 30 days or 3 uses, that shows only the amount and the practice."""

import datetime
import uuid

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from notifications.services import notify_patient
from practica.accounts.models import User
from practica.patient_billing import payments
from practica.patient_billing.errors import BillingError
from practica.patient_billing.ledger import check_amount
from practica.patient_billing.models import PayLink, Payment
from practica.patient_billing.selectors import balance_cents
from practica.patients.models import Patient
from practica.scheduling.models import Location
from tenants.models import Practice

_SALT = "billing.paylink"


def create_pay_link(
    patient: Patient, amount_cents: int, *, by: User | None, location: Location | None = None
) -> tuple[PayLink, str]:
    """Returns the link and its token (the token goes in the URL /pay/<token>/)."""
    check_amount(amount_cents)
    if amount_cents > balance_cents(patient):
        raise BillingError("The amount is more than the balance owed.")
    link = PayLink.objects.create(
        patient=patient,
        amount_cents=amount_cents,
        location=location,
        created_by=by,
        max_uses=settings.PAY_LINK_MAX_USES,
        expires_at=timezone.now() + datetime.timedelta(days=settings.PAY_LINK_MAX_AGE_DAYS),
    )
    return link, token_for(link)


def token_for(link: PayLink) -> str:
    """The signed token of a link's URL (/pay/<token>/): the same for the same link, every time."""
    return signing.dumps(str(link.pk), salt=_SALT)


def send_pay_link(patient: Patient, link: PayLink, url: str, practice_name: str) -> bool:
    """Email the link: only the practice, the amount and the link, nothing clinical."""
    return notify_patient(
        patient,
        subject=f"Payment request from {practice_name}",
        template="billing/email/pay_link.txt",
        context={
            "practice_name": practice_name,
            "amount": f"${link.amount_cents / 100:,.2f}",
            "link": url,
            "max_age_days": settings.PAY_LINK_MAX_AGE_DAYS,
        },
    )


def pay_link_from_token(token: str) -> PayLink:
    """The link a token names, if it is genuine (signed by us, for this practice's schema table)."""
    try:
        link_id = uuid.UUID(signing.loads(token, salt=_SALT))
    except (signing.BadSignature, ValueError) as error:
        raise BillingError("This payment link is not valid.") from error
    link = PayLink.objects.select_related("patient").filter(pk=link_id).first()
    if link is None:
        raise BillingError("This payment link is not valid.")
    return link


def check_usable(link: PayLink) -> None:
    if Payment.objects.filter(pay_link=link, status=Payment.Status.SUCCEEDED).exists():
        raise BillingError("This payment link has already been paid. Thank you.")
    if timezone.now() >= link.expires_at:
        raise BillingError("This payment link has expired. Please ask the practice for a new one.")
    if link.uses >= link.max_uses:
        raise BillingError(
            "This payment link has been used too many times. Please ask the practice for a new one."
        )


def start_pay_link_checkout(
    practice: Practice, link: PayLink, *, success_url: str, cancel_url: str
) -> tuple[PayLink, str]:
    """Start Stripe's hosted Checkout for a link; returns the link and the page's URL.

    A use is counted only once Stripe has created the Checkout session: a refused amount or a
    Stripe outage rolls back the count with the payment row, so neither the holder of the link
    nor an outage can use it up. The row lock is held across the Stripe call, which keeps
    concurrent POSTs from starting more sessions than the link allows."""
    with transaction.atomic():
        link = PayLink.objects.select_for_update().select_related("patient").get(pk=link.pk)
        check_usable(link)
        _, url = payments.start_payment_checkout(
            practice,
            link.patient,
            link.amount_cents,
            purpose=Payment.Purpose.PAY_LINK,
            success_url=success_url,
            cancel_url=cancel_url,
            location=link.location,
            pay_link=link,
        )
        link.uses += 1
        link.save(update_fields=["uses"])
    return link, url
