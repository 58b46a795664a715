"""Reads of eligibility checks: the latest per coverage, whether it is still fresh, and the raw 271
(an audited read: it is PHI)."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.db.models import OuterRef, QuerySet, Subquery

from practica.audit.services import record_view
from practica.eligibility import crypto
from practica.eligibility.models import EligibilityCheck, EligibilitySettings, Status
from practica.insurance.models import Coverage, Priority
from practica.scheduling.models import Appointment

DEFAULT_FRESHNESS_HOURS = 72


def freshness_hours() -> int:
    row = EligibilitySettings.objects.filter(singleton=True).values_list("freshness_hours", flat=True).first()
    return row or DEFAULT_FRESHNESS_HOURS


def latest_check(coverage_id: UUID | str) -> EligibilityCheck | None:
    """The coverage's latest completed check (a pending one does not replace a result)."""
    return (
        EligibilityCheck.objects.filter(coverage_id=coverage_id, completed_at__isnull=False)
        .order_by("-completed_at")
        .first()
    )


def latest_for_visit(appointment_id: UUID | str) -> EligibilityCheck | None:
    """The latest completed check made for this visit (at booking, overnight, at the desk)."""
    return (
        EligibilityCheck.objects.filter(appointment_id=appointment_id, completed_at__isnull=False)
        .order_by("-completed_at")
        .first()
    )


def latest_checks(coverage_ids: list[UUID]) -> dict[UUID, EligibilityCheck]:
    """The latest completed check of each coverage, in one query (for lists)."""
    rows = (
        EligibilityCheck.objects.filter(coverage_id__in=coverage_ids, completed_at__isnull=False)
        .order_by("coverage_id", "-completed_at")
        .distinct("coverage_id")
    )
    return {row.coverage_id: row for row in rows}


@dataclass(frozen=True)
class Badge:
    """What a list shows for a coverage's eligibility: a status, its words, and whether stale."""

    status: str
    label: str
    stale: bool
    checked_at: dt.datetime | None
    check_id: UUID | None = None

    @property
    def text(self) -> str:
        return f"{self.label} (stale)" if self.stale else self.label


def badge(check: EligibilityCheck | None, now: dt.datetime, hours: int | None = None) -> Badge:
    if check is None or check.completed_at is None:
        return Badge("none", "Not checked", False, None)
    window = dt.timedelta(hours=hours or freshness_hours())
    stale = now - check.completed_at > window
    label = {
        Status.ACTIVE: "Insurance active",
        Status.INACTIVE: "Insurance inactive",
        Status.NOT_FOUND: "Insurance not found",
        Status.UNVERIFIED: "Could not verify",
    }.get(Status(check.status), check.get_status_display())
    return Badge(check.status, label, stale, check.completed_at, check.pk)


NO_COVERAGE = Badge("no_coverage", "No insurance on file", False, None)


def visit_badges(patient_ids: Iterable[UUID], now: dt.datetime) -> dict[UUID, Badge]:
    """Each patient's badge (their live primary coverage's latest result), for lists of visits: three
    queries whatever the number of patients (coverages, latest checks, the freshness window)."""
    wanted = set(patient_ids)
    if not wanted:
        return {}
    coverages = dict(  # one live primary coverage per patient (a constraint)
        Coverage.objects.filter(patient_id__in=wanted, is_active=True, priority=Priority.PRIMARY)
        .order_by()
        .values_list("patient_id", "id")
    )
    latest = latest_checks(list(coverages.values()))
    hours = freshness_hours()
    return {
        patient_id: badge(latest.get(coverages[patient_id]), now, hours)
        if patient_id in coverages
        else NO_COVERAGE
        for patient_id in wanted
    }


# How far ahead the desk's list of coverage problems looks: the coming week's visits.
PROBLEMS_AHEAD = dt.timedelta(days=7)
PROBLEM_STATUSES = (Status.INACTIVE, Status.NOT_FOUND)


def coverage_problems(now: dt.datetime) -> QuerySet[Appointment]:
    """Booked visits of the coming week whose patient's insurance the payer last said is inactive
    or unknown: the desk's work before the patient arrives. One query (the dashboard counts it);
    each row carries `eligibility_status`, `eligibility_checked_at` and `eligibility_check_id`.
    A row leaves the list when a newer answer is active, the coverage is replaced, or the visit
    is cancelled."""
    latest = EligibilityCheck.objects.filter(
        coverage__patient_id=OuterRef("patient_id"),
        coverage__is_active=True,
        coverage__priority=Priority.PRIMARY,
        completed_at__isnull=False,
    ).order_by("-completed_at")
    return (
        Appointment.objects.filter(
            start__gte=now,
            start__lt=now + PROBLEMS_AHEAD,
            status__in=(Appointment.Status.BOOKED, Appointment.Status.CONFIRMED),
        )
        .annotate(
            eligibility_status=Subquery(latest.values("status")[:1]),
            eligibility_checked_at=Subquery(latest.values("completed_at")[:1]),
            eligibility_check_id=Subquery(latest.values("pk")[:1]),
        )
        .filter(eligibility_status__in=PROBLEM_STATUSES)
        .select_related("patient", "location", "provider", "appointment_type")
        .order_by("start")
    )


def check_for_view(check_id: UUID | str) -> EligibilityCheck | None:
    return (
        EligibilityCheck.objects.select_related("coverage__patient", "coverage__payer", "appointment")
        .filter(pk=check_id)
        .first()
    )


def raw_271(check: EligibilityCheck) -> str:
    """The response as the payer sent it; every read is recorded in the audit trail."""
    record_view(check)
    return crypto.decrypt(check.raw_271_encrypted) if check.raw_271_encrypted else ""
