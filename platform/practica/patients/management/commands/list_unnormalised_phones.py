"""List, practice by practice, the patients' phone numbers kept as typed because they could not be
read as a phone number (the E.164 migration and every later save keep such numbers rather than
drop them), so that staff can correct them on the patient's page."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import tenant_context

from practica.patients.selectors import unnormalised_phones
from tenants.models import Practice


class Command(BaseCommand):
    help = "List patients' phone numbers that are not in E.164 (kept as typed), per practice."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--practice", help="Only this practice (slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        practices = Practice.objects.exclude(schema_name="public").order_by("slug")
        if options.get("practice"):
            practices = practices.filter(slug=options["practice"])
            if not practices.exists():
                raise CommandError(f"No practice with the slug {options['practice']!r}.")
        total = 0
        for practice in practices:
            with tenant_context(practice):
                found = unnormalised_phones()
            self.stdout.write(f"{practice.slug}: {len(found)} phone number(s) to correct")
            for row in found:
                self.stdout.write(f"  {row.patient.pk}\t{row.patient}\t{row.field}\t{row.value}")
            total += len(found)
        self.stdout.write(f"Done: {total} phone number(s) to correct.")
