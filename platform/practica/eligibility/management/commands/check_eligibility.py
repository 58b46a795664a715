"""`manage.py check_eligibility --practice SLUG [--date YYYY-MM-DD]`: checks the coverage of every
patient booked on the day (default: the next business day in the practice's zone) and prints a
summary by result."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django_tenants.utils import tenant_context

from practica.audit.context import acting_as, command
from practica.eligibility.batch import check_day, next_business_day, practice_clearinghouse
from practica.eligibility.errors import EligibilityError
from tenants.models import Practice


class Command(BaseCommand):
    help = (
        "Check the insurance of every patient booked on a day (default: the next business day); "
        "print a summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="the practice's slug")
        parser.add_argument("--date", help="the day, YYYY-MM-DD (default: the next business day)")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = Practice.objects.exclude(schema_name="public").filter(slug=options["practice"]).first()
        if practice is None:
            raise CommandError(f"No practice {options['practice']!r}.")
        now = timezone.now()
        if options.get("date"):
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date {options['date']!r} is not a date (YYYY-MM-DD).") from None
        else:
            day = next_business_day(now.astimezone(ZoneInfo(practice.time_zone)).date())
        with tenant_context(practice), acting_as(command("check_eligibility")):
            try:
                adapter, requester = practice_clearinghouse()
            except EligibilityError as exc:
                raise CommandError(f"{practice.slug}: {exc}") from None
            summary = check_day(day, now=now, clearinghouse=adapter, requester=requester)
        for line in summary.lines():
            self.stdout.write(line)
