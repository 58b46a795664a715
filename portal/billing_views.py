"""The patient's balance in the portal: what is owed, the ledger's amounts and dates (never the
memo, which staff may have written clinically), and paying all or part of it through Stripe Checkout
on the practice's connected account. The ledger moves only when Stripe's webhook says it was paid."""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.forms import PortalForm
from portal.sessions import patient_required
from practica.core.links import practice_url
from practica.patient_billing import payments
from practica.patient_billing.desk import takes_cards
from practica.patient_billing.errors import BillingError
from practica.patient_billing.forms import MoneyField
from practica.patient_billing.models import Payment
from practica.patient_billing.selectors import balance_cents, ledger_for


class BalancePaymentForm(PortalForm):
    amount = MoneyField(label=gettext_lazy("Amount to pay (USD)"))

    def __init__(self, *args: object, balance: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.balance = balance

    def clean_amount(self) -> int:
        amount: int = self.cleaned_data["amount"]
        if amount == 0:
            raise ValidationError(_("Enter an amount more than $0.00."))
        if amount < 0:
            raise ValidationError(_("The amount cannot be negative."))
        if amount > self.balance:
            owed = f"${self.balance / 100:,.2f}"
            raise ValidationError(_("That is more than the balance owed (%(owed)s).") % {"owed": owed})
        return amount


@patient_required
def balance(request: HttpRequest) -> HttpResponse:
    patient = request.patient  # type: ignore[attr-defined]
    owed = balance_cents(patient)
    initial = {"amount": f"{owed / 100:.2f}"} if owed > 0 else {}
    form = BalancePaymentForm(request.POST or None, balance=owed, initial=initial)
    practice = request.practice  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        here = practice_url(practice.slug, reverse("portal:balance"))
        try:
            _, url = payments.start_payment_checkout(
                practice,
                patient,
                form.cleaned_data["amount"],
                purpose=Payment.Purpose.BALANCE,
                success_url=here + "?paid=1",
                cancel_url=here,
            )
        except BillingError as error:
            form.add_error(None, error.message)
        else:
            return HttpResponseRedirect(url)
    lines = list(ledger_for(patient).order_by("-posted_at", "-id"))
    context = {
        "patient": patient,
        "balance_cents": owed,
        "credit_cents": -owed,
        "lines": lines,
        "form": form,
        "paid": "paid" in request.GET,
        "takes_cards": takes_cards(practice),
    }
    return render(request, "portal/balance.html", context, status=400 if form.errors else 200)


@patient_required
def payment_detail(request: HttpRequest, payment_id: UUID) -> HttpResponse:
    """A receipt for one of the current patient's payments; anyone else's is not found."""
    patient = request.patient  # type: ignore[attr-defined]
    payment = get_object_or_404(Payment, pk=payment_id, patient=patient)
    return render(request, "portal/balance_payment.html", {"payment": payment})
