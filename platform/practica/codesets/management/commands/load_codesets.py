"""manage.py load_codesets: the ICD-10-CM table from the pinned simple-icd-10-cm package, the
place-of-service codes and the CARC/RARC meanings (`codesets/data/`). Idempotent: run on every
deploy; a full ICD-10-CM load of the installed edition already in place is skipped without
importing the package."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from practica.codesets import loading
from practica.core.tenancy import use_public_schema


class Command(BaseCommand):
    help = "Load ICD-10-CM, place-of-service and CARC/RARC codes into the public schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="PREFIX",
            help="Load only the ICD-10-CM items whose code starts with PREFIX (repeatable), e.g. E11.",
        )
        parser.add_argument("--force", action="store_true", help="Load even if this edition is loaded.")

    def handle(self, *args: Any, **options: Any) -> None:
        use_public_schema()
        places = loading.load_places_of_service()
        codes = loading.load_remittance_codes()
        edition = loading.icd10_edition()
        if not options["only"] and not options["force"] and loading.icd10_loaded(edition):
            self.stdout.write(
                f"ICD-10-CM {edition} already loaded; {places} places of service and "
                f"{codes} remittance codes checked."
            )
            return
        loaded = loading.load_icd10(options["only"])
        partial = " (partial: " + ", ".join(options["only"]) + ")" if options["only"] else ""
        self.stdout.write(
            f"ICD-10-CM {edition}{partial}: {loaded.written} items written, {loaded.retired} retired; "
            f"{places} places of service; {codes} remittance codes (CARC/RARC)."
        )
