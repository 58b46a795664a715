from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenants.retention import practices_due_for_purge, purge_expired_practices


class Command(BaseCommand):
    help = "Delete the data of practices whose subscription ended more than the retention period ago."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only list what would be purged")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dry_run"]:
            due = practices_due_for_purge()
            for practice in due:
                self.stdout.write(f"would purge {practice.slug} (suspended {practice.suspended_at:%Y-%m-%d})")
            self.stdout.write(f"{len(due)} practice(s) past the retention period.")
            return
        purged = purge_expired_practices()
        for slug in purged:
            self.stdout.write(f"purged {slug}")
        self.stdout.write(self.style.SUCCESS(f"{len(purged)} practice(s) purged."))
