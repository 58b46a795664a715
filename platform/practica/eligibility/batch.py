"""The checks of a day's visits: every booked appointment of the day whose patient has a live
primary coverage and no fresh result is checked once per coverage (the nightly batch, and
`manage.py check_eligibility`)."""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from uuid import UUID
from zoneinfo import ZoneInfo

from practica.claims.models import BillingProfile
from practica.eligibility import selectors
from practica.eligibility.checking import Requester, check_coverage
from practica.eligibility.errors import EligibilityError
from practica.eligibility.models import EligibilitySettings, Trigger
from practica.eligibility.realtime import CoreClearinghouse, RealtimeClearinghouse
from practica.insurance.models import Coverage, Priority
from practica.scheduling.models import Appointment, Location


def next_business_day(today: dt.date) -> dt.date:
    """The next weekday after `today` (practices closed on a holiday simply have no visits)."""
    day = today + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


# At the desk, a person waits: the payer gets this long, once, and then the badge says why not.
CHECK_IN_TIMEOUT = 8.0

CHECKED_STATUSES = (Appointment.Status.BOOKED, Appointment.Status.CONFIRMED, Appointment.Status.CHECKED_IN)


def appointments_on(day: dt.date) -> list[Appointment]:
    """The day's live appointments, the day taken in each location's own time zone."""
    found: list[Appointment] = []
    for location in Location.objects.all():
        zone = ZoneInfo(location.time_zone)
        start = dt.datetime.combine(day, dt.time(), zone)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
        found += list(
            Appointment.objects.filter(
                location=location, start__gte=start, start__lt=end, status__in=CHECKED_STATUSES
            ).select_related("patient", "appointment_type")
        )
    return found


def practice_clearinghouse(timeout: float | None = None) -> tuple[RealtimeClearinghouse, Requester]:
    """The practice's configured real-time adapter and who asks (from its billing profile).
    `timeout`: a short wait and no retry, for a person waiting on the answer."""
    settings = EligibilitySettings.objects.filter(singleton=True).first()
    profile = BillingProfile.objects.filter(singleton=True).first()
    if settings is None or not settings.realtime_url:
        raise EligibilityError("No real-time clearinghouse is configured for eligibility.", "not_configured")
    if profile is None:
        raise EligibilityError("The practice has no billing profile (its NPI asks the payer).", "no_profile")
    adapter = CoreClearinghouse(
        settings.realtime_url,
        sender_id=settings.realtime_sender_id or profile.isa_sender_id,
        receiver_id=settings.realtime_receiver_id or profile.isa_receiver_id,
    )
    if timeout:
        adapter.timeout, adapter.retries = timeout, 0
    requester = Requester(
        npi=profile.group_npi,
        name=profile.legal_name,
        ein=profile.ein,
        sender_id=settings.realtime_sender_id or profile.isa_sender_id,
        receiver_id=settings.realtime_receiver_id or profile.isa_receiver_id,
    )
    return adapter, requester


@dataclass
class DaySummary:
    day: dt.date
    appointments: int = 0
    no_coverage: int = 0
    fresh: int = 0
    by_status: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        checked = sum(self.by_status.values())
        out = [
            f"{self.day.isoformat()}: {self.appointments} appointments, {checked} coverages checked, "
            f"{self.fresh} with a fresh result, {self.no_coverage} without insurance on file"
        ]
        out += [f"  {status}: {count}" for status, count in sorted(self.by_status.items())]
        return out


def check_day(
    day: dt.date,
    *,
    now: dt.datetime,
    clearinghouse: RealtimeClearinghouse,
    requester: Requester,
    trigger: str = Trigger.NIGHTLY,
    visit_service_type: str = "98",
) -> DaySummary:
    summary = DaySummary(day)
    appointments = appointments_on(day)
    summary.appointments = len(appointments)
    coverages = {
        c.patient_id: c
        for c in Coverage.objects.filter(
            patient_id__in={a.patient_id for a in appointments}, is_active=True, priority=Priority.PRIMARY
        ).select_related("payer", "patient")
    }
    latest = selectors.latest_checks([c.id for c in coverages.values()])
    hours = selectors.freshness_hours()
    done: set[object] = set()
    for appointment in appointments:
        coverage = coverages.get(appointment.patient_id)
        if coverage is None:
            summary.no_coverage += 1
            continue
        if coverage.id in done:
            continue
        done.add(coverage.id)
        previous = latest.get(coverage.id)
        if previous and previous.service_date == day and not selectors.badge(previous, now, hours).stale:
            summary.fresh += 1
            continue
        check = check_coverage(
            coverage,
            clearinghouse=clearinghouse,
            requester=requester,
            service_date=day,
            now=now,
            trigger=trigger,
            visit_service_type=visit_service_type,
            appointment_id=appointment.id,
        )
        summary.by_status[check.status] += 1
    return summary


def check_appointment(
    appointment_id: UUID | str, *, now: dt.datetime, trigger: str, timeout: float | None = None
) -> str:
    """Checks the coverage of one booked visit (at booking, at check-in) unless a fresh result for
    that day is already there; returns what happened, in a word (a task's result). `timeout`: give
    up after that many seconds, with no retry (someone is waiting at the desk)."""
    appointment = (
        Appointment.objects.filter(pk=appointment_id, status__in=CHECKED_STATUSES)
        .select_related("location")
        .first()
    )
    if appointment is None:
        return "no_appointment"
    day = appointment.start.astimezone(ZoneInfo(appointment.location.time_zone)).date()
    coverage = (
        Coverage.objects.filter(patient_id=appointment.patient_id, is_active=True, priority=Priority.PRIMARY)
        .select_related("payer", "patient")
        .first()
    )
    if coverage is None:
        return "no_coverage"
    previous = selectors.latest_check(coverage.id)
    fresh = previous is not None and previous.service_date == day and not selectors.badge(previous, now).stale
    if trigger != Trigger.CHECK_IN and fresh:
        return "fresh"
    try:
        clearinghouse, requester = practice_clearinghouse(timeout=timeout)
    except EligibilityError:
        return "not_configured"
    check = check_coverage(
        coverage,
        clearinghouse=clearinghouse,
        requester=requester,
        service_date=day,
        now=now,
        trigger=trigger,
        visit_service_type="98",
        appointment_id=appointment.id,
    )
    return check.status
