"""The patient's secure messages in the portal: their own conversations only (404 otherwise)."""

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import selectors as portal_selectors
from portal.sessions import patient_required
from practica.intake.uploads import max_upload_bytes
from practica.messaging import events, selectors, services
from practica.messaging.downloads import attachment_response
from practica.messaging.errors import MessagingError
from practica.messaging.models import Thread
from practica.scheduling.models import Appointment


def _own_thread(request: HttpRequest, thread_id: UUID) -> Thread:
    thread = selectors.thread_for_patient(request.patient, thread_id)  # type: ignore[attr-defined]
    if thread is None:
        raise Http404("No such conversation.")
    return thread


@patient_required
def message_list(request: HttpRequest) -> HttpResponse:
    threads = selectors.patient_threads(request.patient)  # type: ignore[attr-defined]
    return render(request, "portal/messaging/list.html", {"threads": threads})


@patient_required
def message_new(request: HttpRequest) -> HttpResponse:
    patient = request.patient  # type: ignore[attr-defined]
    appointments = portal_selectors.upcoming_appointments(patient, timezone.now())
    error = ""
    body = ""
    if request.method == "POST":
        body = request.POST.get("body", "")
        raw = request.POST.get("appointment", "")
        appointment: Appointment | None = None
        if raw:
            appointment = next((a for a in appointments if str(a.pk) == raw), None)
            if appointment is None:
                error = _("Choose one of your appointments, or none.")
        if not error:
            try:
                thread = services.start_thread(patient, body, appointment)
            except MessagingError as problem:
                error = str(problem)
            else:
                messages.success(request, _("Your message was sent to the care team."))
                return redirect("portal:message_thread", thread_id=thread.pk)
    context = {"appointments": appointments, "error": error, "body": body}
    return render(request, "portal/messaging/new.html", context, status=400 if error else 200)


@patient_required
def message_thread(request: HttpRequest, thread_id: UUID) -> HttpResponse:
    thread = _own_thread(request, thread_id)
    error = ""
    body = ""
    if request.method == "POST":
        body = request.POST.get("body", "")
        upload = request.FILES.get("attachment")
        try:
            services.post_patient_message(thread, request.patient, body, upload)  # type: ignore[attr-defined]
        except MessagingError as problem:
            error = str(problem)  # shown by the form, with what was written kept
        else:
            return redirect("portal:message_thread", thread_id=thread.pk)
    else:
        services.mark_read_by_patient(thread)
    found = list(selectors.messages_for_patient(thread))
    context = {
        "thread": thread,
        "thread_messages": found,
        "last_id": found[-1].pk if found else 0,
        "error": error,
        "draft": body,
        "max_upload_mb": max_upload_bytes() // (1024 * 1024),
    }
    return render(request, "portal/messaging/thread.html", context, status=400 if error else 200)


@patient_required
def message_attachment(request: HttpRequest, thread_id: UUID, attachment_id: UUID) -> HttpResponse:
    """A file of the patient's own conversation (a guardian's, for the record they act for); never
    one of an internal note, never another patient's: 404."""
    thread = _own_thread(request, thread_id)
    attachment = selectors.attachment_for_patient(thread, attachment_id)
    if attachment is None:
        raise Http404("No such file.")
    return attachment_response(attachment)


@patient_required
def message_since(request: HttpRequest, thread_id: UUID) -> JsonResponse:
    """Everything after a message id (never internal notes): what the patient missed offline."""
    thread = _own_thread(request, thread_id)
    raw = request.GET.get("after", "0")
    if not raw.isdigit():
        return JsonResponse({"error": "after must be a message id."}, status=400)
    found = selectors.messages_for_patient(thread, int(raw))
    return JsonResponse({"messages": [events.message_payload(m, viewer="patient") for m in found]})
