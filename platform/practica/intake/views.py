"""Back office: defining intake packets (MANAGE_SETUP) and reviewing submitted ones."""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from portal.intake_views import document_response
from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability, role_can
from practica.audit.services import record_view
from practica.intake import selectors, services
from practica.intake.errors import IntakeError
from practica.intake.forms import (
    ConsentForm,
    ConsentRevisionForm,
    DocumentRequestForm,
    QuestionForm,
    ReviewForm,
)
from practica.intake.models import IntakeItem, IntakePacket, IntakeResponse, IntakeSubmission
from practica.scheduling.models import AppointmentType


@capability_required(Capability.MANAGE_SETUP)
def packet_list(request: HttpRequest) -> HttpResponse:
    types = AppointmentType.objects.filter(is_active=True).select_related("intake_packet").order_by("name")
    return render(request, "intake/packet_list.html", {"types": types})


@capability_required(Capability.MANAGE_SETUP)
def packet_edit(request: HttpRequest, appointment_type_id: UUID) -> HttpResponse:
    appointment_type = get_object_or_404(AppointmentType, pk=appointment_type_id)
    packet = services.packet_for_type(appointment_type)
    action = request.POST.get("action") if request.method == "POST" else None
    data = request.POST if action else None
    forms = {
        "question": QuestionForm(data if action == "question" else None, prefix="q"),
        "consent": ConsentForm(data if action == "consent" else None, prefix="c"),
        "document": DocumentRequestForm(data if action == "document" else None, prefix="d"),
    }
    status = 200
    if action in forms:
        form = forms[action]
        if form.is_valid():
            try:
                _add_item(packet, action, form.cleaned_data)
            except IntakeError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Added to the packet.")
                return redirect("intake:packet_edit", appointment_type_id=appointment_type.pk)
        status = 400
    elif action in ("remove", "revise"):
        item = get_object_or_404(IntakeItem, pk=request.POST.get("item"), packet=packet, is_active=True)
        if action == "remove":
            services.remove_item(item)
            messages.success(request, "Removed from the packet.")
            return redirect("intake:packet_edit", appointment_type_id=appointment_type.pk)
        revision = ConsentRevisionForm(request.POST)
        if item.kind == IntakeItem.Kind.CONSENT and revision.is_valid():
            services.revise_consent(item, revision.cleaned_data["body"])
            messages.success(
                request, "Saved as a new version; earlier signatures keep the wording they signed."
            )
            return redirect("intake:packet_edit", appointment_type_id=appointment_type.pk)
        messages.error(request, "Give the new wording of the consent.")
        status = 400
    items = list(selectors.active_items(packet))
    context = {"appointment_type": appointment_type, "items": items, "forms": forms}
    return render(request, "intake/packet_edit.html", context, status=status)


def _add_item(packet: IntakePacket, action: str, data: dict[str, Any]) -> None:
    if action == "question":
        services.add_question(
            packet,
            label=data["label"],
            field_type=data["field_type"],
            required=data["required"],
            choices=data["choices"],
        )
    elif action == "consent":
        services.add_consent(packet, label=data["label"], body=data["body"])
    else:
        services.add_document_request(packet, document_kind=data["document_kind"], required=data["required"])


@capability_required(Capability.VIEW_PATIENTS)
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/review_queue.html", {"submissions": selectors.review_queue()[:200]})


@capability_required(Capability.VIEW_PATIENTS)
def review(request: HttpRequest, submission_id: UUID) -> HttpResponse:
    submission = get_object_or_404(selectors.submissions_prefetched(), pk=submission_id)
    can_review = role_can(request.role, Capability.EDIT_PATIENTS)  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST":
        if not can_review:
            return render(request, "core/forbidden.html", status=403)
        if request.POST.get("action") == "finish":
            services.finish_review(submission, reviewer_id=request.user.pk)  # type: ignore[arg-type]
            messages.success(request, "Review saved.")
            return redirect("intake:review_queue")
        response = get_object_or_404(IntakeResponse, pk=request.POST.get("response"), submission=submission)
        form = ReviewForm(request.POST)
        if form.is_valid():
            try:
                services.review_response(
                    response,
                    accepted=form.cleaned_data["decision"] == "accept",
                    reason=form.cleaned_data["reason"],
                )
            except IntakeError as error:
                messages.error(request, str(error))
                status = 400
            else:
                return redirect("intake:review", submission_id=submission.pk)
        else:
            messages.error(request, "Choose accept or reject.")
            status = 400
    record_view(submission.patient)
    responses = {r.item_id: r for r in submission.responses.all()}
    packet = submission.appointment.appointment_type.intake_packet
    rows = [{"item": item, "response": responses.get(item.pk)} for item in selectors.active_items(packet)]
    context = {
        "submission": submission,
        "rows": rows,
        "can_review": can_review,
        "intake_status": IntakeSubmission.Status(
            selectors.intake_status_for([submission.appointment])[submission.appointment_id]
        ).label,
    }
    return render(request, "intake/review.html", context, status=status)


@capability_required(Capability.VIEW_PATIENTS)
def document(request: HttpRequest, response_id: UUID) -> HttpResponse:
    response = get_object_or_404(
        IntakeResponse.objects.exclude(document="").select_related("item"), pk=response_id
    )
    record_view(response)
    return document_response(response)
