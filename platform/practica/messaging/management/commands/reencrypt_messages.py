"""Re-encrypt every message body and attachment under the newest MESSAGE_ENCRYPTION_KEYS key,
practice by practice.

Run after putting a new key first; when it reports done, the old keys may be removed."""

from typing import Any

from django.core.management.base import BaseCommand
from django_tenants.utils import tenant_context

from practica.messaging.services import reencrypt_all_attachments, reencrypt_all_messages
from tenants.models import Practice


class Command(BaseCommand):
    help = "Re-encrypt message bodies and attachments with the newest message encryption key."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--practice", help="Only this practice (slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        practices = Practice.objects.exclude(schema_name="public")
        if options.get("practice"):
            practices = practices.filter(slug=options["practice"])
        total = total_files = 0
        for practice in practices:
            with tenant_context(practice):
                count = reencrypt_all_messages()
                files = reencrypt_all_attachments()
            total += count
            total_files += files
            self.stdout.write(f"{practice.slug}: {count} messages and {files} attachments re-encrypted")
        self.stdout.write(f"Done: {total} messages and {total_files} attachments re-encrypted.")
