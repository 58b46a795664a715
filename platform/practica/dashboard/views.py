"""The back office's home page: a first-run checklist until the basics are set up, then today's
numbers for the signed-in role, each a link to the list it counts."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from practica.accounts.decorators import staff_required
from practica.dashboard.selectors import today_numbers
from practica.scheduling import home_views


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    practice = request.practice  # type: ignore[attr-defined]
    checklist = home_views.first_run_checklist(practice)
    context = {
        "checklist": checklist,
        "checklist_done": all(item.done for item in checklist),
        "sections": today_numbers(practice, request.role, request.user),  # type: ignore[attr-defined,arg-type]
    }
    return render(request, "core/dashboard.html", context)
