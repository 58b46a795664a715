from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from practica.accounts.erasure import delete_account
from practica.accounts.errors import AccessError
from practica.accounts.models import User


class Command(BaseCommand):
    help = (
        "Delete a person's login for good: their memberships and sessions go, practices' rows "
        "pointing at them are cleared, and the audit events they made keep only their bare id."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No login has the email {options['email']}.")
        try:
            practices = delete_account(user=user)
        except AccessError as refused:
            raise CommandError(str(refused)) from refused
        self.stdout.write(
            self.style.SUCCESS(f"Deleted the login {user.email} ({practices} practice(s) named it).")
        )
