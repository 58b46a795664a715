"""The care-team inbox in the back office. Reading needs VIEW_PATIENTS; every change needs
EDIT_PATIENTS, checked by the decorator here and again by the service."""

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.models import User
from practica.accounts.roles import Capability, role_can
from practica.accounts.selectors import staff_of
from practica.messaging import events, selectors, services
from practica.messaging.downloads import attachment_response
from practica.messaging.errors import MessagingError
from practica.messaging.models import Thread
from practica.patients.models import Patient


def _thread_or_404(thread_id: UUID) -> Thread:
    thread = selectors.thread_for_staff(thread_id)
    if thread is None:
        raise Http404("No such conversation.")
    return thread


def _after(request: HttpRequest) -> int:
    raw = request.GET.get("after", "0")
    if not raw.isdigit():
        raise MessagingError("after must be a message id.")
    return int(raw)


@capability_required(Capability.VIEW_PATIENTS)
def inbox(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view", "open")
    if view not in selectors.INBOX_FILTERS:
        view = "open"
    threads = selectors.staff_inbox(request.user, view)  # type: ignore[arg-type]
    return render(
        request,
        "messaging/inbox.html",
        {"threads": threads, "view": view, "filters": selectors.INBOX_FILTERS},
    )


@capability_required(Capability.VIEW_PATIENTS)
def thread_detail(request: HttpRequest, thread_id: UUID) -> HttpResponse:
    thread = _thread_or_404(thread_id)
    services.mark_read_by_staff(thread)
    return _thread_page(request, thread)


def _thread_page(
    request: HttpRequest, thread: Thread, *, error: str = "", action: str = "", body: str = ""
) -> HttpResponse:
    """The thread; after a refused reply or note, again with the reason and the text kept (400)."""
    found = list(selectors.messages_for_staff(thread))
    colleagues = [
        m.user
        for m in staff_of(request.practice)  # type: ignore[attr-defined]
        if m.is_active and role_can(m.role, Capability.VIEW_PATIENTS)
    ]
    context = {
        "thread": thread,
        "thread_messages": found,
        "last_id": found[-1].pk if found else 0,
        "colleagues": colleagues,
        "can_edit": role_can(request.role, Capability.EDIT_PATIENTS),  # type: ignore[attr-defined]
        "error": error,
        "error_action": action,
        "draft": body,
    }
    return render(request, "messaging/thread.html", context, status=400 if error else 200)


@capability_required(Capability.VIEW_PATIENTS)
def attachment_download(request: HttpRequest, thread_id: UUID, attachment_id: UUID) -> HttpResponse:
    """A file of this thread, internal notes' included: staff who can read the inbox only."""
    thread = _thread_or_404(thread_id)
    attachment = selectors.attachment_for_staff(thread, attachment_id)
    if attachment is None:
        raise Http404("No such file.")
    return attachment_response(attachment)


@capability_required(Capability.VIEW_PATIENTS)
def thread_since(request: HttpRequest, thread_id: UUID) -> JsonResponse:
    """Everything after a message id: what a client missed while offline."""
    thread = _thread_or_404(thread_id)
    try:
        after = _after(request)
    except MessagingError as error:
        return JsonResponse({"error": str(error)}, status=400)
    found = selectors.messages_for_staff(thread, after)
    return JsonResponse({"messages": [events.message_payload(m, viewer="staff") for m in found]})


@require_POST
@capability_required(Capability.EDIT_PATIENTS)
def thread_action(request: HttpRequest, thread_id: UUID, action: str) -> HttpResponse:
    thread = _thread_or_404(thread_id)
    role: str = request.role  # type: ignore[attr-defined]
    user: User = request.user  # type: ignore[assignment]
    body = request.POST.get("body", "")
    upload = request.FILES.get("attachment")
    if action in ("reply", "note"):
        try:
            if action == "reply":
                services.post_staff_reply(thread, user, role, body, upload)
            else:
                services.add_internal_note(thread, user, role, body, upload)
        except MessagingError as error:
            return _thread_page(request, thread, error=str(error), action=action, body=body)
        return redirect("messaging_thread", thread_id=thread.pk)
    try:
        if action == "close":
            services.close_thread(thread, role)
        elif action == "reopen":
            services.reopen_thread(thread, role)
        elif action == "assign":
            raw = request.POST.get("assignee", "")
            assignee = User.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
            if raw and assignee is None:
                raise MessagingError("Choose a colleague from the list.")
            services.assign_thread(thread, request.practice, role, assignee)  # type: ignore[attr-defined]
        else:
            raise Http404("No such action.")
    except MessagingError as error:
        messages.error(request, str(error))
    return redirect("messaging_thread", thread_id=thread.pk)


@require_POST
@capability_required(Capability.EDIT_PATIENTS)
def thread_start(request: HttpRequest, patient_id: UUID) -> HttpResponse:
    """Staff start a conversation with a patient, from the chart."""
    patient = get_object_or_404(Patient, pk=patient_id)
    role: str = request.role  # type: ignore[attr-defined]
    user: User = request.user  # type: ignore[assignment]
    try:
        thread = services.start_staff_thread(patient, user, role, request.POST.get("body", ""))
    except MessagingError as error:
        messages.error(request, f"Not sent: {error}")
        return redirect("patient_detail", patient_id=patient.pk)
    messages.success(request, "Message sent; the patient is told a message is waiting in the portal.")
    return redirect("messaging_thread", thread_id=thread.pk)
