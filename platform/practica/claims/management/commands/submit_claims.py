"""`manage.py submit_claims --practice SLUG [--out DIR]`: scrub a practice's ready claims and send
the clean ones, one 837P file per payer, through its clearinghouse adapter (or into DIR), printing
what was written and which claims were held back."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django_tenants.utils import tenant_context

from practica.claims.clearinghouse import FolderClearinghouse
from practica.claims.errors import ClaimsError
from practica.claims.submission import submit_ready_claims
from tenants.models import Practice


def practice_by_slug(slug: str) -> Practice:
    practice = Practice.objects.exclude(schema_name="public").filter(slug=slug).first()
    if practice is None:
        raise CommandError(f"No practice {slug!r}.")
    return practice


class Command(BaseCommand):
    help = (
        "Scrub the practice's ready claims and send the clean ones as 837P files, one per payer, through "
        "its clearinghouse adapter (or into --out DIR); print each file written and each claim held back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="the practice's slug")
        parser.add_argument("--out", help="write the files into this folder instead of the practice's outbox")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_by_slug(options["practice"])
        adapter = FolderClearinghouse(outbox=Path(options["out"])) if options.get("out") else None
        with tenant_context(practice):
            try:
                result = submit_ready_claims(now=timezone.now(), zone=practice, clearinghouse=adapter)
            except ClaimsError as exc:
                raise CommandError(f"{practice.slug}: {exc.message}") from None
        for batch in result.batches:
            self.stdout.write(
                f"{batch.sent_to}: {batch.claim_count} claims to {batch.payer.name}, "
                f"${batch.total_charge_cents / 100:,.2f} (ISA13 {batch.isa_control_number})"
            )
        for held in result.held:
            self.stdout.write(f"held back (back to draft, scrub errors): {held}")
        if not result.batches and not result.failures:
            self.stdout.write(f"{practice.slug}: no claims are ready to send.")
        if result.failures:
            for failure in result.failures:
                self.stderr.write(f"not sent: {failure}")
            raise CommandError(f"{len(result.failures)} batch(es) not sent; their claims stay ready.")
