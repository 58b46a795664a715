"""The billers' denials queue (/denials/): open work items, overdue first to the eye, filtered by
category, payer, owner and age, sorted by amount or due date, each one click from its claim, patient
and visit; and an item's actions. The queue reads a fixed number of queries whatever its length."""

import datetime
import uuid
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from practica.accounts.decorators import capability_required
from practica.accounts.roles import Capability
from practica.accounts.selectors import staff_of
from practica.audit.services import record_view, record_views
from practica.codesets.models import AdjustmentCategory
from practica.denials import letters, selectors, services
from practica.denials.errors import DenialError
from practica.denials.models import AppealLetter, AppealTemplate, DenialItem
from practica.insurance.models import Payer
from practica.scheduling.view_helpers import can, get_or_404

PAGE_SIZE = 50


def _today(request: HttpRequest) -> datetime.date:
    return timezone.localdate(timezone=ZoneInfo(request.practice.time_zone))  # type: ignore[attr-defined]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _name(user: object) -> str:
    return (getattr(user, "full_name", "") or getattr(user, "email", "")) if user else ""


@capability_required(Capability.SUBMIT_CLAIMS)
def denial_queue(request: HttpRequest) -> HttpResponse:
    get = request.GET
    status = get.get("status", DenialItem.Status.OPEN)
    owner = get.get("owner", "")
    f = selectors.QueueFilter(
        status=status if status in DenialItem.Status.values or status == "" else DenialItem.Status.OPEN,
        category=get.get("category", "") if get.get("category", "") in AdjustmentCategory.values else "",
        payer_id=_uuid(get.get("payer", "")),
        owner_id=int(owner) if owner.isdigit() else None,
        age=get.get("age", "") if get.get("age", "") in selectors.AGES else "",
        due=get.get("due", "") if get.get("due", "") in selectors.DUES else "",
        sort=get.get("sort", "due") if get.get("sort") in selectors.SORTS else "due",
    )
    today = _today(request)
    page = Paginator(selectors.denial_queue(f, today), PAGE_SIZE).get_page(get.get("page"))
    items = list(page.object_list)
    found = selectors.meanings(items)
    record_views({i.patient_id: i.patient for i in items}.values())
    staff = {m.user_id: m.user for m in staff_of(request.practice)}  # type: ignore[attr-defined]
    query = get.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "rows": [
            (
                i,
                selectors.explain(i, found),
                i.due_on < today,
                _name(staff.get(i.owner_id) if i.owner_id else None),
            )
            for i in items
        ],
        "filter": f,
        "today": today,
        "payers": Payer.objects.order_by("name"),
        "staff": staff,
        "categories": AdjustmentCategory.choices,
        "statuses": DenialItem.Status.choices,
        "dues": list(selectors.DUES.items()),
        "ages": [("30", "0-30 days"), ("60", "31-60 days"), ("90", "61-90 days"), ("older", "over 90 days")],
        "page_query": "&" + query.urlencode() if query else "",
    }
    return render(request, "denials/queue.html", context)


@capability_required(Capability.SUBMIT_CLAIMS)
def denial_item(request: HttpRequest, item_id: str) -> HttpResponse:
    item = get_or_404(
        DenialItem.objects.select_related("claim", "claim__encounter", "payer", "patient", "claim_line"),
        item_id,
    )
    record_views([item.patient])
    staff = list(staff_of(request.practice))  # type: ignore[attr-defined]
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "update":
                owner = request.POST.get("owner", "")
                services.update_item(
                    item,
                    owner_id=int(owner) if owner.isdigit() else None,
                    notes=request.POST.get("notes", ""),
                )
            elif action == "resubmit":
                claim = services.resubmit_corrected(item, today=_today(request))
                messages.success(
                    request, f"Replacement claim {claim.patient_control_number} made; correct it and send it."
                )
            elif action == "appeal":
                services.mark_appealed(item)
            elif action == "transfer":
                services.transfer_to_patient(item)
            elif action == "write_off":
                if not can(request, Capability.WRITE_OFF_DENIALS):
                    return HttpResponse("Only owners and managers write off.", status=403)
                services.write_off(item, request.POST.get("reason", ""))
            else:
                return HttpResponse("Unknown action.", status=400)
        except DenialError as exc:
            messages.error(request, exc.message)
        return redirect("denials:item", item_id=item.pk)
    context = {
        "item": item,
        "letters": [
            (letter, _name(next((m.user for m in staff if m.user_id == letter.generated_by_id), None)))
            for letter in item.letters.all()
        ],
        "codes": selectors.explain(item, selectors.meanings([item])),
        "staff": staff,
        "today": _today(request),
        "can_write_off": can(request, Capability.WRITE_OFF_DENIALS),
    }
    return render(request, "denials/item.html", context)


@capability_required(Capability.SUBMIT_CLAIMS)
@require_POST
def appeal_letter(request: HttpRequest, item_id: str) -> HttpResponse:
    """A new appeal letter from the practice's template, kept beside the item, then downloaded
    (POST: it writes a file and reads patient data)."""
    item = get_or_404(DenialItem.objects.select_related("claim__encounter", "payer", "patient"), item_id)
    record_views([item.patient])
    words = "; ".join(m.rstrip(".") for _, m in selectors.explain(item, selectors.meanings([item])) if m)
    letter = services.generate_appeal_letter(
        item,
        practice_name=request.practice.name,  # type: ignore[attr-defined]
        today=_today(request).isoformat(),
        meanings=words,
    )
    return redirect("denials:appeal_letter_file", item_id=item.pk, letter_id=letter.pk)


@capability_required(Capability.SUBMIT_CLAIMS)
def appeal_letter_file(request: HttpRequest, item_id: str, letter_id: str) -> HttpResponse:
    """A kept appeal letter, as generated; each download is recorded."""
    item = get_or_404(DenialItem.objects.select_related("claim", "patient"), item_id)
    letter = get_or_404(AppealLetter.objects.filter(item=item), letter_id)
    record_view(letter)
    record_views([item.patient])
    with letter.pdf.open("rb") as handle:
        pdf = handle.read()
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localtime(letter.created_at, ZoneInfo(request.practice.time_zone))  # type: ignore[attr-defined]
    response["Content-Disposition"] = (
        f'attachment; filename="appeal-{item.claim.patient_control_number}-{stamp:%Y%m%d-%H%M}.pdf"'
    )
    return response


@capability_required(Capability.MANAGE_BILLING_SETUP)
def appeal_template(request: HttpRequest) -> HttpResponse:
    """The practice's appeal letter template (owners and managers)."""
    current = AppealTemplate.objects.filter(singleton=True).values_list("body", flat=True).first()
    body = request.POST.get("body", "") if request.method == "POST" else (current or letters.DEFAULT_TEMPLATE)
    error = ""
    if request.method == "POST":
        try:
            services.save_appeal_template(body)
        except DenialError as exc:
            error = exc.message
        else:
            messages.success(request, "Appeal letter saved.")
            return redirect("denials:appeal_template")
    context = {"body": body, "error": error, "placeholders": letters.PLACEHOLDERS}
    return render(request, "denials/appeal_template.html", context)
