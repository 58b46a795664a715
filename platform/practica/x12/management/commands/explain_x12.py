"""`manage.py explain_x12 FILE`: prints as JSON what Practica reads in an X12 file."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from practica.x12.errors import X12Error
from practica.x12.explain import explain


class Command(BaseCommand):
    help = (
        "Print as JSON what Practica reads in an X12 file (837P, 835, 999, 277CA, 270, 271); exits "
        "non-zero naming the segment and line when it cannot."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the X12 file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot read it ({exc.strerror or exc})") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not X12 text (byte {exc.start} is not UTF-8)") from None
        try:
            result = explain(text)
        except X12Error as exc:
            raise CommandError(f"{path}: {exc}") from None
        self.stdout.write(json.dumps(result, indent=2))
