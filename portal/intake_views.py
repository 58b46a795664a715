"""Portal pages for intake: the patient fills in the packet of an upcoming appointment, downloads
what they signed and their own uploads. Only the signed-in patient's own appointments, or 404."""

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import selectors
from portal.sessions import patient_required
from practica.intake import selectors as intake_selectors
from practica.intake import services as intake_services
from practica.intake.documents import signed_consents_pdf
from practica.intake.errors import IntakeError
from practica.intake.forms import PacketForm
from practica.intake.models import IntakeResponse, IntakeSubmission
from practica.intake.uploads import extension_for
from practica.scheduling.models import Appointment


@patient_required
def forms_to_fill(request: HttpRequest) -> HttpResponse:
    patient = request.patient  # type: ignore[attr-defined]
    upcoming = selectors.upcoming_appointments(patient, timezone.now())
    statuses = intake_selectors.intake_status_for(upcoming)
    rows = [
        {"appointment": a, "status": IntakeSubmission.Status(statuses[a.pk]).label, "code": statuses[a.pk]}
        for a in upcoming
        if statuses[a.pk] != intake_selectors.NO_PACKET
    ]
    return render(request, "intake/portal_list.html", {"rows": rows})


@patient_required
def fill(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    patient = request.patient  # type: ignore[attr-defined]
    appointment = selectors.appointment_of(patient, appointment_id)
    packet = intake_selectors.packet_for(appointment)
    if packet is None:
        raise Http404("No forms for this appointment.")
    submission = intake_services.open_submission(appointment)
    items = list(intake_selectors.active_items(packet))
    responses = intake_selectors.submission_with_responses(submission)
    # Past or cancelled visits keep their forms readable, but nothing more is sent for them.
    still_ahead = appointment.end > timezone.now() and appointment.status in (
        Appointment.Status.BOOKED,
        Appointment.Status.CONFIRMED,
        Appointment.Status.CHECKED_IN,
    )
    complete = submission.status == IntakeSubmission.Status.COMPLETE or not still_ahead
    form = PacketForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        items=items,
        responses=responses,
        patient=patient,
    )
    if request.method == "POST" and not complete and form.is_valid():
        try:
            intake_services.submit_packet(
                submission,
                answers=form.answers(),
                signatures=form.signatures(),
                documents=form.documents(),
                ip=request.META.get("REMOTE_ADDR") or None,
            )
        except IntakeError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Thank you: your forms are sent to the practice for review."))
            return redirect("portal:intake_fill", appointment_id=appointment.pk)
    context = {
        "appointment": appointment,
        "submission": submission,
        "form": form,
        "complete": complete,
        "zone": appointment.location.time_zone,
    }
    return render(request, "intake/portal_fill.html", context, status=400 if form.errors else 200)


@patient_required
def signed_pdf(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    appointment = selectors.appointment_of(request.patient, appointment_id)  # type: ignore[attr-defined]
    submission = IntakeSubmission.objects.filter(appointment=appointment).first()
    if submission is None:
        raise Http404("Nothing signed for this appointment.")
    signed = list(intake_selectors.signed_consents(submission))
    pdf = signed_consents_pdf(submission, signed, request.practice.name)  # type: ignore[attr-defined]
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="signed-consents.pdf"'
    return response


@patient_required
def document(request: HttpRequest, response_id: UUID) -> HttpResponse:
    """A document the patient uploaded: only to that patient (404 for anyone else)."""
    patient = request.patient  # type: ignore[attr-defined]
    response = (
        IntakeResponse.objects.filter(pk=response_id, submission__patient=patient)
        .exclude(document="")
        .first()
    )
    if response is None:
        raise Http404("No such file.")
    return document_response(response)


def document_response(response: IntakeResponse) -> HttpResponse:
    """The file as a download, never rendered inline (uploads are at most INTAKE_MAX_UPLOAD_BYTES)."""
    with response.document.open("rb") as stored:
        content = stored.read()
    served = HttpResponse(content, content_type=response.document_content_type)
    extension = extension_for(response.document_content_type)
    served["Content-Disposition"] = f'attachment; filename="document.{extension}"'
    served["X-Content-Type-Options"] = "nosniff"
    served["Cache-Control"] = "private, no-store"
    return served
