"""The demo's eligibility: the practice asks the fake clearinghouse bin/run serves on loopback, and
the coming week's visits are checked through it, so badges, copays and coverage problems show."""

import datetime

from django.utils import timezone

from practica.eligibility import services
from practica.eligibility.batch import DaySummary, check_day, practice_clearinghouse
from practica.eligibility.models import Trigger

DAYS_AHEAD = 8


def seed_eligibility(url: str, now: datetime.datetime | None = None) -> list[DaySummary]:
    """Configures the clearinghouse (planning the nightly batch) and checks each day's visits from
    today on; run again, fresh results are kept and nothing is asked twice."""
    now = now or timezone.now()
    services.configure_realtime(url, now=now)
    clearinghouse, requester = practice_clearinghouse()
    today = timezone.localdate(now)
    return [
        check_day(
            today + datetime.timedelta(days=offset),
            now=now,
            clearinghouse=clearinghouse,
            requester=requester,
            trigger=Trigger.MANUAL,
        )
        for offset in range(DAYS_AHEAD)
    ]
