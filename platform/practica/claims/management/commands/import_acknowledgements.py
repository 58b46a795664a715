"""`manage.py import_acknowledgements --practice SLUG FILE...`: read 999 and 277CA files into the
practice's claims, printing what each did. Each file is applied whole or not at all; a file read
before changes nothing."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from practica.claims.acknowledgements import AcknowledgementError, import_acknowledgement
from practica.claims.management.commands.submit_claims import practice_by_slug


class Command(BaseCommand):
    help = "Read 999 and 277CA acknowledgement files into the practice's claims."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="the practice's slug")
        parser.add_argument("files", nargs="+", metavar="FILE", help="999 or 277CA files")

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_by_slug(options["practice"])
        failed = 0
        for name in options["files"]:
            path = Path(name)
            try:
                content = path.read_bytes()
            except OSError as exc:
                self.stderr.write(f"{path}: cannot read it ({exc.strerror or exc})")
                failed += 1
                continue
            try:
                with tenant_context(practice):
                    result = import_acknowledgement(path.name, content)
            except AcknowledgementError as exc:
                self.stderr.write(f"{path}: {exc.message.removeprefix(path.name + ': ')}")
                failed += 1
                continue
            if not result.new:
                self.stdout.write(f"{path}: read before ({result.kind}); nothing changed")
                continue
            rejected = f"{len(result.rejected)} rejected" + (
                f" ({', '.join(result.rejected[:20])})" if result.rejected else ""
            )
            if result.kind == "999":
                # A 999 accepts files, not claims: the payer's 277CA accepts each claim.
                self.stdout.write(f"{path}: 999, {len(result.accepted)} claims in accepted files, {rejected}")
            else:
                self.stdout.write(
                    f"{path}: {result.kind}, {len(result.accepted)} claims accepted, {rejected}"
                )
        if failed:
            raise CommandError(f"{failed} file(s) not imported; nothing of them was applied.")
