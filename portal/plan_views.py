"""A payment plan set up by the patient in the portal, within the practice's limits: their card is
saved first (Stripe's page, on the practice's account), then the installments are chosen."""

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.forms import PortalForm
from portal.sessions import patient_required
from practica.core.links import practice_url
from practica.patient_billing import payments
from practica.patient_billing.errors import BillingError
from practica.patient_billing.selectors import balance_cents
from practica.statements import plans
from practica.statements.errors import StatementError
from practica.statements.models import PaymentPlan
from practica.statements.services import current_settings


class PlanForm(PortalForm):
    installments = forms.TypedChoiceField(label=gettext_lazy("Number of monthly installments"), coerce=int)

    def __init__(self, *args: object, choices: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["installments"].choices = choices  # type: ignore[attr-defined]


def _choices(owed: int) -> list[tuple[int, str]]:
    settings = current_settings()
    found = []
    for count in range(2, settings.plan_max_installments + 1):
        if owed // count < settings.plan_min_installment_cents:
            break
        each = f"${plans.split(owed, count)[0] / 100:,.2f}"
        found.append((count, _("%(count)s payments of about %(each)s") % {"count": count, "each": each}))
    return found


@patient_required
def payment_plan(request: HttpRequest) -> HttpResponse:
    patient = request.patient  # type: ignore[attr-defined]
    practice = request.practice  # type: ignore[attr-defined]
    here = practice_url(practice.slug, reverse("portal:payment_plan"))
    active = PaymentPlan.objects.filter(patient=patient, status=PaymentPlan.Status.ACTIVE).first()
    owed = balance_cents(patient)
    choices = _choices(owed) if active is None else []
    form = PlanForm(request.POST or None, choices=choices)
    error = ""
    if request.method == "POST" and request.POST.get("action") == "card":
        try:
            url = payments.start_card_setup(
                practice, patient, consent=bool(request.POST.get("consent")), by=None,
                success_url=here + "?card=1", cancel_url=here,
            )  # fmt: skip
        except BillingError as refused:
            error = refused.message
        else:
            return HttpResponseRedirect(url)
    elif request.method == "POST" and active is None and form.is_valid():
        try:
            plans.create_plan(patient, form.cleaned_data["installments"], by=None, by_patient=True)
        except StatementError as refused:
            form.add_error(None, refused.message)
        else:
            return redirect("portal:payment_plan")
    context = {
        "plan": active,
        "installments": list(active.installments.all()) if active else [],
        "balance_cents": owed,
        "form": form,
        "has_card": plans.has_card(patient),
        "can_plan": bool(choices),
        "error": error,
        "card_saving": "card" in request.GET,
    }
    return render(request, "portal/payment_plan.html", context, status=400 if form.errors or error else 200)
