from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.decorators import capability_required
from accounts.roles import Capability, role_can
from scheduling.forms import LocationForm, ProviderForm
from scheduling.models import Location, Provider


@capability_required(Capability.VIEW_SCHEDULE)
def setup_overview(request: HttpRequest) -> HttpResponse:
    context = {
        "locations": Location.objects.all(),
        "providers": Provider.objects.prefetch_related("locations"),
        "can_edit": role_can(request.role, Capability.MANAGE_SETUP),  # type: ignore[attr-defined]
    }
    return render(request, "scheduling/setup.html", context)


@capability_required(Capability.MANAGE_SETUP)
def location_edit(request: HttpRequest, location_id: str | None = None) -> HttpResponse:
    location = get_object_or_404(Location, pk=location_id) if location_id else None
    form = LocationForm(request.POST or None, instance=location)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("setup_overview")
    return render(request, "scheduling/edit.html", {"form": form, "title": "Location"})


@capability_required(Capability.MANAGE_SETUP)
def provider_edit(request: HttpRequest, provider_id: str | None = None) -> HttpResponse:
    provider = get_object_or_404(Provider, pk=provider_id) if provider_id else None
    form = ProviderForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("setup_overview")
    return render(request, "scheduling/edit.html", {"form": form, "title": "Provider"})
