"""`manage.py import_remittance --practice SLUG FILE...`: post 835 remittance files to the
practice's claims, printing per file the claim payments posted, the exceptions opened and the
payments held as probable duplicates. Every file is read first: when one is not a readable 835,
the command says which (file, segment, line), exits non-zero and posts nothing of any of them.
A file read before posts nothing."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tenants.utils import tenant_context

from practica.claims.management.commands.submit_claims import practice_by_slug
from practica.remittance.errors import RemittanceError
from practica.remittance.models import RemittanceFile
from practica.remittance.services import import_remittance, read_file


class Command(BaseCommand):
    help = "Post 835 remittance files to the practice's claims (posted / exceptions / duplicates)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="the practice's slug")
        parser.add_argument("files", nargs="+", metavar="FILE", help="835 files")
        parser.add_argument(
            "--no-validate", action="store_true", help="skip pyx12's check of each file (faster)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        practice = practice_by_slug(options["practice"])
        contents: list[tuple[Path, bytes]] = []
        problems: list[str] = []
        for name in options["files"]:
            path = Path(name)
            try:
                content = path.read_bytes()
            except OSError as exc:
                problems.append(f"{path}: cannot read it ({exc.strerror or exc})")
                continue
            try:
                read_file(path.name, content)
            except RemittanceError as exc:
                problems.append(f"{path}: {exc.message.removeprefix(path.name + ': ')}")
                continue
            contents.append((path, content))
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} file(s) cannot be read as 835s; nothing was posted.")
        totals = [0, 0, 0]
        with tenant_context(practice):
            for path, content in contents:
                result = import_remittance(
                    path.name,
                    content,
                    source=RemittanceFile.Source.COMMAND,
                    validate=not options["no_validate"],
                )
                if not result.new:
                    self.stdout.write(f"{path}: read before; nothing posted")
                    continue
                self.stdout.write(
                    f"{path}: {result.posted} posted, {result.exceptions} exceptions, "
                    f"{result.duplicates} probable duplicates"
                )
                for finding in result.findings[:5]:
                    self.stdout.write(f"  pyx12: {finding}")
                totals[0] += result.posted
                totals[1] += result.exceptions
                totals[2] += result.duplicates
        if len(contents) > 1:
            self.stdout.write(f"posted {totals[0]}, exceptions {totals[1]}, duplicates {totals[2]}")
