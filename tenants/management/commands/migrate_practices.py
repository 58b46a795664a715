from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from tenants.provisioning import ensure_template_schema, recreate_missing_schemas
from tenants.services import ensure_public_site


class Command(BaseCommand):
    help = "Deploy-time migration: public schema, the practice template schema, then every practice."

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options["verbosity"])
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        ensure_public_site()
        ensure_template_schema(verbosity=verbosity)
        for schema in recreate_missing_schemas():
            self.stdout.write(
                self.style.WARNING(f"Schema {schema} was missing: created it from the template.")
            )
        call_command("migrate_schemas", tenant=True, interactive=False, verbosity=verbosity)
        self.stdout.write(
            self.style.SUCCESS("Public schema, practice template and all practices are migrated.")
        )
