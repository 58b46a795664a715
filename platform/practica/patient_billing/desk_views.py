"""The front desk's check-in with money, and receipts (printed as a PDF or emailed). Thin: each
view calls one service of practica.patient_billing.desk."""

import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.models import User
from practica.accounts.roles import Capability, role_can
from practica.audit.services import record_view
from practica.core.links import practice_url
from practica.eligibility.batch import CHECKED_STATUSES
from practica.eligibility.selectors import visit_badges
from practica.patient_billing import desk
from practica.patient_billing.errors import BillingError
from practica.patient_billing.forms import DeskPaymentForm
from practica.patient_billing.models import LedgerEntry
from practica.patient_billing.receipts import receipt_pdf
from practica.patient_billing.views import stripe_failures_shown
from practica.scheduling.errors import SchedulingError
from practica.scheduling.models import Appointment
from practica.scheduling.view_helpers import get_or_404
from tenants.models import Practice


def _practice(request: HttpRequest) -> Practice:
    return request.practice  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _can(request: HttpRequest, capability: Capability) -> bool:
    return role_can(request.role, capability)  # type: ignore[attr-defined]


def _qr_svg(data: str) -> str:
    buffer = io.BytesIO()
    qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue().decode()


@stripe_failures_shown
@capability_required(Capability.BOOK_APPOINTMENTS)
def check_in(request: HttpRequest, appointment_id: str) -> HttpResponse:
    """What is owed (copay, past balance) and the check-in, with a payment for staff who take them."""
    appointment = get_or_404(
        Appointment.objects.select_related("patient", "appointment_type", "provider", "location"),
        appointment_id,
    )
    record_view(appointment.patient)
    practice = _practice(request)
    takes_payments = _can(request, Capability.TAKE_PAYMENTS)
    cards = desk.takes_cards(practice)
    due = desk.due_at_check_in(appointment)
    initial = {"amount": f"{due.suggested_cents / 100:.2f}"} if due.suggested_cents else {}
    form = DeskPaymentForm(request.POST or None, cards=cards, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        amount = data["amount"] if takes_payments else None
        try:
            if amount and data["method"] == LedgerEntry.Method.CARD:
                return _card_payment(request, appointment, amount)
            done = desk.check_in(
                practice,
                appointment,
                by=_user(request),
                amount_cents=amount,
                method=data["method"],
                check_number=data["check_number"],
                email_receipt=data["email_receipt"],
            )
        except (BillingError, SchedulingError) as error:
            form.add_error(None, error.message)
        else:
            if done.entry is None:
                messages.success(request, f"{appointment.patient}: checked in.")
                return redirect(f"{reverse('today')}?location={appointment.location_id}")
            emailed = " A receipt was emailed." if done.receipt_emailed else ""
            messages.success(request, f"{appointment.patient}: checked in, payment taken.{emailed}")
            return redirect("billing_receipt", entry_id=done.entry.pk)
    context = {
        "appointment": appointment,
        "due": due,
        "form": form,
        "takes_payments": takes_payments,
        "cards": cards,
        "can_set_up_cards": _can(request, Capability.MANAGE_PRACTICE),
        "checked_in": appointment.status == Appointment.Status.CHECKED_IN,
        "eligibility": visit_badges([appointment.patient_id], timezone.now())[appointment.patient_id],
        "can_check_eligibility": appointment.status in CHECKED_STATUSES,
    }
    return render(request, "billing/check_in.html", context, status=400 if form.errors else 200)


def _card_payment(request: HttpRequest, appointment: Appointment, amount: int) -> HttpResponse:
    """Checks the patient in and opens a Checkout page for them to complete on a tablet or phone."""
    practice = _practice(request)
    back = practice_url(practice.slug, reverse("billing_check_in", args=[appointment.pk]))
    thanks = practice_url(practice.slug, reverse("billing_card_thanks"))
    desk.check_in(practice, appointment, by=_user(request))
    _, url = desk.start_card_payment(practice, appointment, amount, success_url=thanks, cancel_url=back)
    context = {"appointment": appointment, "amount_cents": amount, "url": url, "qr_svg": _qr_svg(url)}
    return render(request, "billing/card_at_desk.html", context)


def card_thanks(request: HttpRequest) -> HttpResponse:
    """Where Stripe's page sends the patient (on a tablet or their phone) once they have paid."""
    return render(request, "billing/card_thanks.html", {"practice_name": _practice(request).name})


def _payments() -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).select_related(
        "patient", "location", "created_by", "payment"
    )


def _entry(entry_id: int) -> LedgerEntry:
    entry = get_object_or_404(_payments(), pk=entry_id)
    record_view(entry.patient)
    return entry


@capability_required(Capability.VIEW_BILLING, Capability.TAKE_PAYMENTS)
def receipt(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(entry_id)
    context = {
        "entry": entry,
        "number": desk.receipt_number(entry),
        "method": desk.method_label(entry),
        "amount_cents": -entry.amount_cents,
    }
    return render(request, "billing/receipt.html", context)


@capability_required(Capability.VIEW_BILLING, Capability.TAKE_PAYMENTS)
def receipt_download(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(entry_id)
    practice = _practice(request)
    zone = entry.location.time_zone if entry.location else practice.time_zone
    response = HttpResponse(receipt_pdf(practice, entry, zone), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="receipt-{desk.receipt_number(entry)}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@capability_required(Capability.VIEW_BILLING, Capability.TAKE_PAYMENTS)
def receipt_email(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = _entry(entry_id)
    if desk.send_receipt(_practice(request), entry):
        messages.success(request, "The receipt will be emailed to the patient.")
    else:
        messages.error(request, "The patient has no email address; print the receipt instead.")
    return redirect("billing_receipt", entry_id=entry.pk)
