from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from practica.accounts.sessions import start_session
from practica.accounts.views import handoff_url
from practica.core.links import public_url
from tenants.forms import SignupForm
from tenants.models import Plan
from tenants.services import SignupError, sign_up_practice
from tenants.subscriptions.checkout import checkout_or


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "tenants/home.html", {"plans": Plan.objects.filter(is_public=True)})


def pricing(request: HttpRequest) -> HttpResponse:
    return render(request, "tenants/pricing.html", {"plans": Plan.objects.filter(is_public=True)})


def signup(request: HttpRequest) -> HttpResponse:
    initial = {"plan": Plan.objects.filter(code=request.GET.get("plan", "")).first()}
    form = SignupForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = sign_up_practice(
                practice_name=data["practice_name"],
                slug=data["subdomain"],
                owner_name=data["owner_name"],
                email=data["email"],
                password=data["password"],
                plan=data["plan"],
            )
        except SignupError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            start_session(request, result.owner)  # on the public site too, for "my practices"
            into_practice = handoff_url(request, result.practice.slug, result.practice.schema_name)
            # Checkout takes longer than a hand-off link lives: coming back, the public site's
            # session (above) hands the owner over afresh.
            back_from_checkout = public_url(reverse("go_to_practice", args=[result.practice.slug]))
            return redirect(
                checkout_or(result.practice, result.owner.email, into_practice, return_url=back_from_checkout)
            )
    return render(request, "tenants/signup.html", {"form": form})
