"""Back-office billing pages and the public pay-by-link page. Thin: each calls one service."""

import datetime
import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

import stripe
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.models import User
from practica.accounts.roles import Capability, role_can
from practica.audit.services import record_view
from practica.core.links import practice_url
from practica.core.view_access import open_while_suspended, writable_while_read_only
from practica.patient_billing import desk, export, ledger, paylinks, payments
from practica.patient_billing.errors import BillingError
from practica.patient_billing.forms import AmountForm, CardSetupForm, EntryForm, FeeForm, RefundForm
from practica.patient_billing.models import Dispute, LedgerEntry, Payment, StripeCustomer
from practica.patient_billing.selectors import (
    balance_cents,
    daily_close,
    ledger_for,
    patients_owing,
)
from practica.patients.models import Patient
from practica.remittance.selectors import insurance_deposits
from tenants.models import Practice
from tenants.stripe_gateway import StripeNotConfigured
from tenants.subscriptions.checkout import SubscriptionError, customer_portal_url, start_subscription_checkout

log = logging.getLogger(__name__)


def stripe_failures_shown(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Stripe unreachable, refusing a request, or not set up: the person gets a clear page, not a 500."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except StripeNotConfigured as error:
            return render(request, "billing/error.html", {"message": str(error)}, status=503)
        except stripe.StripeError as error:
            log.warning("Stripe refused a request: %s", error)
            message = f"Stripe could not do this: {error.user_message or 'please try again later'}."
            return render(request, "billing/error.html", {"message": message}, status=502)

    return wrapped


def _practice(request: HttpRequest) -> Practice:
    return request.practice  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@capability_required(Capability.VIEW_BILLING)
def billing_home(request: HttpRequest) -> HttpResponse:
    practice = _practice(request)
    return render(
        request,
        "billing/home.html",
        {
            "practice_account": practice,
            "disputes": Dispute.objects.select_related("payment")[:20],
            "owing": patients_owing(),
        },
    )


@writable_while_read_only
@stripe_failures_shown
@require_POST
@capability_required(Capability.MANAGE_PRACTICE)
def subscription_portal(request: HttpRequest) -> HttpResponse:
    practice = _practice(request)
    try:
        url = customer_portal_url(practice, practice_url(practice.slug, reverse("billing_home")))
    except SubscriptionError as error:
        messages.error(request, str(error))
        return redirect("billing_home")
    return HttpResponseRedirect(url)


@writable_while_read_only
@stripe_failures_shown
@require_POST
@capability_required(Capability.MANAGE_PRACTICE)
def subscription_checkout(request: HttpRequest) -> HttpResponse:
    """A practice still on its trial (or one that never subscribed) subscribes, monthly or yearly."""
    practice = _practice(request)
    interval = request.POST.get("interval", "month")
    if interval not in ("month", "year"):
        messages.error(request, "Choose monthly or yearly billing.")
        return redirect("billing_home")
    if practice.stripe_subscription_id:
        messages.error(request, "This practice already has a subscription; manage it below.")
        return redirect("billing_home")
    practice.billing_interval = interval
    practice.save(update_fields=["billing_interval"])
    back = practice_url(practice.slug, reverse("billing_home"))
    try:
        url = start_subscription_checkout(
            practice, owner_email=_user(request).email, success_url=back, cancel_url=back
        )
    except SubscriptionError as error:
        messages.error(request, str(error))
        return redirect("billing_home")
    return HttpResponseRedirect(url)


@stripe_failures_shown
@require_POST
@capability_required(Capability.MANAGE_PRACTICE)
def connect_start(request: HttpRequest) -> HttpResponse:
    practice = _practice(request)
    here = practice_url(practice.slug, reverse("billing_connect_return"))
    return HttpResponseRedirect(
        payments.start_connect_onboarding(practice, refresh_url=here, return_url=here)
    )


@stripe_failures_shown
@capability_required(Capability.VIEW_BILLING)
def connect_return(request: HttpRequest) -> HttpResponse:
    payments.refresh_connect_status(_practice(request))
    return redirect("billing_home")


@capability_required(Capability.VIEW_BILLING, Capability.TAKE_PAYMENTS)
def patient_ledger(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_id)
    record_view(patient)
    can_edit = _can_edit(request)
    entry_form = EntryForm(request.POST or None, payments_only=not can_edit)
    if request.method == "POST" and entry_form.is_valid():
        data = entry_form.cleaned_data
        try:
            if data["kind"] == LedgerEntry.Kind.PAYMENT:
                entry = desk.take_payment(
                    patient,
                    data["amount"],
                    method=data["method"],
                    check_number=data["check_number"],
                    memo=data["memo"],
                    by=_user(request),
                )
                messages.success(request, "Payment posted.")
                return redirect("billing_receipt", entry_id=entry.pk)
            if data["kind"] == LedgerEntry.Kind.WRITE_OFF:
                ledger.write_off(patient, data["amount"], memo=data["memo"], created_by=_user(request))
            else:
                ledger.post_entry(
                    patient, data["kind"], data["amount"], memo=data["memo"], created_by=_user(request)
                )
        except BillingError as error:
            entry_form.add_error("amount", error.message)
        else:
            messages.success(request, "Posted.")
            return redirect("billing_patient_ledger", patient_id=patient.pk)
    practice = _practice(request)
    return render(
        request,
        "billing/ledger.html",
        {
            "patient": patient,
            "entries": ledger_for(patient),
            "balance_cents": balance_cents(patient),
            "payments": Payment.objects.filter(patient=patient, status=Payment.Status.SUCCEEDED),
            "card": StripeCustomer.objects.filter(patient=patient).first(),
            "entry_form": entry_form,
            "can_edit": can_edit,
            "takes_cards": desk.takes_cards(practice),
            "can_set_up_cards": role_can(request.role, Capability.MANAGE_PRACTICE),  # type: ignore[attr-defined]
            "link_form": AmountForm(),
            "card_form": CardSetupForm(),
            "fee_form": FeeForm(initial={"request_key": uuid.uuid4()}),
            "refund_form": RefundForm(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _can_edit(request: HttpRequest) -> bool:
    return role_can(request.role, Capability.EDIT_BILLING)  # type: ignore[attr-defined]


@require_POST
@capability_required(Capability.EDIT_BILLING)
def create_pay_link(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_id)
    if not desk.takes_cards(_practice(request)):
        return _back_with_error(request, patient, "This practice does not take card payments yet.")
    form = AmountForm(request.POST)
    if not form.is_valid():
        return _back_with_error(request, patient, "Enter an amount.")
    try:
        link, token = paylinks.create_pay_link(patient, form.cleaned_data["amount"], by=_user(request))
    except BillingError as error:
        return _back_with_error(request, patient, error.message)
    practice = _practice(request)
    url = practice_url(practice.slug, reverse("pay_link", args=[token]))
    sent = paylinks.send_pay_link(patient, link, url, practice.name)
    messages.success(request, f"Pay-by-link created{' and emailed' if sent else ''}: {url}")
    return redirect("billing_patient_ledger", patient_id=patient.pk)


@stripe_failures_shown
@require_POST
@capability_required(Capability.EDIT_BILLING)
def start_card_setup(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    practice = _practice(request)
    patient = get_object_or_404(Patient, pk=patient_id)
    form = CardSetupForm(request.POST)
    back = practice_url(practice.slug, reverse("billing_patient_ledger", args=[patient.pk]))
    try:
        url = payments.start_card_setup(
            practice, patient, consent=form.is_valid(), by=_user(request), success_url=back, cancel_url=back
        )
    except BillingError as error:
        return _back_with_error(request, patient, error.message)
    return HttpResponseRedirect(url)


@stripe_failures_shown
@require_POST
@capability_required(Capability.EDIT_BILLING)
def charge_fee(request: HttpRequest, patient_id: uuid.UUID) -> HttpResponse:
    patient = get_object_or_404(Patient, pk=patient_id)
    form = FeeForm(request.POST)
    if not form.is_valid():
        return _back_with_error(request, patient, "Choose a fee and an amount.")
    data = form.cleaned_data
    try:
        payments.charge_fee_to_card(
            _practice(request),
            patient,
            data["amount"],
            purpose=data["purpose"],
            by=_user(request),
            request_key=data["request_key"],
        )
    except BillingError as error:
        return _back_with_error(request, patient, error.message)
    messages.success(request, "Fee charged; a receipt was emailed to the patient.")
    return redirect("billing_patient_ledger", patient_id=patient.pk)


@stripe_failures_shown
@require_POST
@capability_required(Capability.EDIT_BILLING)
def refund(request: HttpRequest, payment_id: uuid.UUID) -> HttpResponse:
    payment = get_object_or_404(Payment.objects.select_related("patient"), pk=payment_id)
    form = RefundForm(request.POST)
    if not form.is_valid():
        return _back_with_error(request, payment.patient, "Enter a valid amount.")
    try:
        payments.refund_payment(_practice(request), payment, form.cleaned_data["amount"], by=_user(request))
    except BillingError as error:
        return _back_with_error(request, payment.patient, error.message)
    messages.success(request, "Refunded.")
    return redirect("billing_patient_ledger", patient_id=payment.patient.pk)


def _back_with_error(request: HttpRequest, patient: Patient, message: str) -> HttpResponse:
    messages.error(request, message)
    return render(request, "billing/error.html", {"patient": patient, "message": message}, status=400)


@capability_required(Capability.VIEW_BILLING, Capability.TAKE_PAYMENTS)
def daily_report(request: HttpRequest) -> HttpResponse:
    """The day's close per location: every payment method, refunds, and each staff member's
    cash and checks for the drawer; beside them, the insurance checks and EFTs posted that day."""
    tz = ZoneInfo(_practice(request).time_zone)
    try:
        day = datetime.date.fromisoformat(request.GET.get("date", "")) if request.GET.get("date") else None
    except ValueError:
        return render(request, "billing/error.html", {"message": "Use a date like 2026-11-23."}, status=400)
    day = day or timezone.localdate(timezone=tz)
    rows = daily_close(day, tz)
    deposits = insurance_deposits(day, tz)
    context = {
        "day": day,
        "rows": rows,
        "zone": tz,
        "deposits": deposits,
        "deposits_cents": sum(d["posted_cents"] for d in deposits),
        "patients_cents": sum(r["net_cents"] for r in rows),
    }
    return render(request, "billing/daily_report.html", context)


@stripe_failures_shown
@capability_required(Capability.VIEW_BILLING)
def payouts(request: HttpRequest) -> HttpResponse:
    from practica.patient_billing.reconciliation import reconcile_payouts

    try:
        result = reconcile_payouts(_practice(request))
    except BillingError as error:
        return render(request, "billing/error.html", {"message": error.message}, status=400)
    return render(request, "billing/payouts.html", {"payouts": result})


# --- the public pay-by-link page (no sign-in) ---------------------------------------------------


@writable_while_read_only
@stripe_failures_shown
def pay_link(request: HttpRequest, token: str) -> HttpResponse:
    """Shows only the amount and the practice's name; paying goes to Stripe's hosted page."""
    practice = _practice(request)
    try:
        link = paylinks.pay_link_from_token(token)
        paylinks.check_usable(link)
    except BillingError as error:
        return render(request, "billing/pay_link_invalid.html", {"message": error.message}, status=410)
    if request.method == "POST":
        here = practice_url(practice.slug, reverse("pay_link", args=[token]))
        try:
            _, url = paylinks.start_pay_link_checkout(
                practice, link, success_url=here + "?paid=1", cancel_url=here
            )
        except BillingError as error:
            return render(request, "billing/pay_link_invalid.html", {"message": error.message}, status=400)
        return HttpResponseRedirect(url)
    return render(
        request,
        "billing/pay_link.html",
        {
            "amount_cents": link.amount_cents,
            "practice_name": practice.name,
            "paid": "paid" in request.GET,
            "takes_cards": desk.takes_cards(practice),
        },
    )


@open_while_suspended
@capability_required(Capability.MANAGE_PRACTICE)
def practice_export(request: HttpRequest) -> HttpResponse:
    """The owner's download of all the practice's data (reachable while suspended or read-only)."""
    practice = _practice(request)
    response = HttpResponse(export.practice_export_zip(practice), content_type="application/zip")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="{practice.slug}-export-{stamp}.zip"'
    response["Cache-Control"] = "no-store"
    return response
