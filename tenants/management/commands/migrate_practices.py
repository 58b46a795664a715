import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenants.migrating import migrate_schemas
from tenants.models import Practice
from tenants.pool import ready_schema_names
from tenants.provisioning import ensure_template_schema, recreate_missing_schemas, template_schema
from tenants.services import PUBLIC_SCHEMA, ensure_public_site


class Command(BaseCommand):
    help = (
        "Deploy-time migration: public schema, the practice template schema, then every practice that "
        "is behind, in parallel. A practice that fails is named and the others go on; run it again to "
        "finish them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--processes",
            type=int,
            default=int(os.environ.get("MIGRATION_PROCESSES", min(4, os.cpu_count() or 1))),
            help="practices migrated at once (0: one at a time in this process)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options["verbosity"])
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        ensure_public_site()
        ensure_template_schema(verbosity=verbosity)
        for schema in recreate_missing_schemas():
            self.stdout.write(
                self.style.WARNING(f"Schema {schema} was missing: created it from the template.")
            )
        schemas = list(
            Practice.objects.exclude(schema_name__in=[PUBLIC_SCHEMA, template_schema()])
            .order_by("schema_name")
            .values_list("schema_name", flat=True)
        )
        # The schemas ready for the next signups stay ready through the deploy.
        schemas += ready_schema_names()

        def progress(schema: str, error: str | None) -> None:
            if error is not None:
                self.stderr.write(f"{schema}: failed: {error}")
            elif verbosity >= 2:
                self.stdout.write(f"{schema}: migrated")

        report = migrate_schemas(schemas, processes=options["processes"], progress=progress)
        up_to_date = report.checked - len(report.migrated) - len(report.failed)
        summary = f"{len(report.migrated)} practices migrated, {up_to_date} already up to date"
        if report.failed:
            raise CommandError(
                f"{summary}; {len(report.failed)} failed: {', '.join(sorted(report.failed))}. "
                "Run migrate_practices again to finish them."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Public schema, practice template and all practices are migrated ({summary})."
            )
        )
