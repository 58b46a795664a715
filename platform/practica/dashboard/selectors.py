"""Today's numbers for the back office's home page, each linked to the list it counts: every
number is the same selector (and filter) as the page it links to, so they agree by construction
(tests/dashboard checks they do). A role sees the numbers of what its capabilities let it open."""

from dataclasses import dataclass
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from practica.accounts.models import User
from practica.accounts.roles import Capability, role_can
from practica.claims.models import ClaimStatus
from practica.claims.selectors import charges_to_review, claims_queue
from practica.denials.selectors import DUE_SOON_DAYS, QueueFilter, denial_queue
from practica.eligibility.selectors import coverage_problems
from practica.intake.selectors import review_queue
from practica.messaging.selectors import staff_inbox
from practica.patient_billing.selectors import daily_payments_by_location
from practica.scheduling.calendar import today_window
from practica.scheduling.models import Appointment, Location
from tenants.models import Practice

Status = Appointment.Status
# The statuses shown on the home page, in the day's order; "checked in" is the waiting room.
SHOWN_STATUSES = [
    (Status.BOOKED, "Booked"),
    (Status.CONFIRMED, "Confirmed"),
    (Status.CHECKED_IN, "Patients waiting"),
    (Status.IN_ROOM, "In a room"),
    (Status.COMPLETED, "Completed"),
    (Status.NO_SHOW, "No-shows"),
    (Status.CANCELLED_BY_PATIENT, "Cancelled by the patient"),
    (Status.CANCELLED_BY_PRACTICE, "Cancelled by the practice"),
]
ALWAYS_SHOWN = {Status.BOOKED, Status.CHECKED_IN}


@dataclass(frozen=True)
class Number:
    label: str
    count: int
    url: str
    amount_cents: int | None = None  # money, when the number is an amount's count


@dataclass(frozen=True)
class Section:
    title: str
    numbers: list[Number]


def _link(name: str, **query: str) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def _schedule(locations: list[Location]) -> list[Section]:
    windows = {location.pk: today_window(location) for location in locations}
    today = Q(pk__in=[])
    for location_id, (start, end) in windows.items():
        today |= Q(location_id=location_id, start__lt=end, end__gt=start)
    counts = {
        (row["location_id"], row["status"]): row["n"]
        for row in Appointment.objects.filter(today)
        .exclude(status=Status.RESCHEDULED)
        .values("location_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    }
    sections = []
    for location in locations:
        where = str(location.pk)
        total = sum(n for (place, _status), n in counts.items() if place == location.pk)
        numbers = [Number("Appointments today", total, _link("today", location=where))]
        for status, label in SHOWN_STATUSES:
            count = counts.get((location.pk, status), 0)
            if count or status in ALWAYS_SHOWN:
                numbers.append(Number(label, count, _link("today", location=where, status=status)))
        title = f"Today at {location.name}" if len(locations) > 1 else "Today"
        sections.append(Section(title, numbers))
    return sections


def today_numbers(practice: Practice, role: str | None, user: User) -> list[Section]:
    """The home page's numbers for `role`, by section."""
    can = lambda capability: role_can(role, capability)  # noqa: E731
    sections: list[Section] = []
    if can(Capability.VIEW_SCHEDULE):
        sections += _schedule(list(Location.objects.filter(is_active=True)))
    desk: list[Number] = []
    if can(Capability.VIEW_PATIENTS):
        desk.append(Number("Intake forms to review", review_queue().count(), _link("intake:review_queue")))
        unread = staff_inbox(user, "unread").count()
        desk.append(
            Number("Conversations with unread messages", unread, _link("messaging_inbox", view="unread"))
        )
    if can(Capability.BOOK_APPOINTMENTS):
        problems = coverage_problems(timezone.now()).count()
        desk.append(Number("Coverage problems before visits", problems, _link("eligibility:problems")))
    if can(Capability.VIEW_BILLING):
        zone = ZoneInfo(practice.time_zone)
        day = timezone.localdate(timezone=zone)
        rows = daily_payments_by_location(day, zone)
        collected = sum(int(row["payments_cents"]) for row in rows)  # type: ignore[call-overload]
        count = sum(int(row["count"]) for row in rows)  # type: ignore[call-overload]
        url = _link("billing_daily_report", date=day.isoformat())
        desk.append(Number("Payments collected today", count, url, amount_cents=collected))
    if desk:
        sections.append(Section("To do", desk))
    billing: list[Number] = []
    if can(Capability.CODE_CHARGES):
        billing.append(
            Number("Visits with charges to review", charges_to_review().count(), _link("claims:charges"))
        )
    if can(Capability.SUBMIT_CLAIMS):
        rejected = claims_queue(ClaimStatus.REJECTED).count()
        billing.append(
            Number(
                "Rejected claims to fix", rejected, _link("claims:claim_list", status=ClaimStatus.REJECTED)
            )
        )
        # Denials by their appeal deadline, in the practice's day (as the queue reads it).
        today = timezone.localdate(timezone=ZoneInfo(practice.time_zone))
        for due, label in (("overdue", "Denials overdue"), ("soon", f"Denials due in {DUE_SOON_DAYS} days")):
            count = denial_queue(QueueFilter(due=due), today).count()
            billing.append(Number(label, count, _link("denials:queue", due=due)))
        ready = claims_queue(ClaimStatus.READY).count()
        billing.append(
            Number("Claims ready to send", ready, _link("claims:claim_list", status=ClaimStatus.READY))
        )
    if billing:
        sections.append(Section("Claims", billing))
    return sections
