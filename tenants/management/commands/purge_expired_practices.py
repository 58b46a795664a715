from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from practica.audit.context import acting_as, command
from tenants.retention import practices_due_for_purge, purge_expired_practices, purges_of


class Command(BaseCommand):
    help = (
        "Delete the data of practices whose subscription ended more than the retention period ago; "
        "--record SLUG says whether, when and by what a practice was purged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only list what would be purged")
        parser.add_argument(
            "--record", metavar="SLUG", help="show the purge record of a practice (slug, host or schema)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["record"]:
            self._show_record(options["record"])
            return
        if options["dry_run"]:
            due = practices_due_for_purge()
            for practice in due:
                self.stdout.write(f"would purge {practice.slug} (suspended {practice.suspended_at:%Y-%m-%d})")
            self.stdout.write(f"{len(due)} practice(s) past the retention period.")
            return
        with acting_as(command("purge_expired_practices")):
            purged = purge_expired_practices()
        for slug in purged:
            self.stdout.write(f"purged {slug}")
        self.stdout.write(self.style.SUCCESS(f"{len(purged)} practice(s) purged."))

    def _show_record(self, name: str) -> None:
        records = purges_of(name)
        if not records:
            self.stdout.write(f"No purge recorded for {name}.")
            return
        for record in records:
            ended = (
                f"{record.subscription_ended_at:%Y-%m-%d %H:%M} UTC"
                if record.subscription_ended_at
                else "unknown"
            )
            self.stdout.write(
                f"{record.slug} (practice id {record.practice_id}, schema {record.schema_name}): "
                f"subscription ended {ended}; purged {record.purged_at:%Y-%m-%d %H:%M} UTC "
                f"after {record.retention_days} days' retention, by {record.purged_by}."
            )
