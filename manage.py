#!/usr/bin/env python
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main() -> None:
    # platform/ holds packages but is not one itself, so `import platform` stays the stdlib's.
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "practica.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    from practica.audit.context import acting_as, command

    try:
        # What a command writes is recorded in the audit trail as `command:<name>`.
        with acting_as(command(sys.argv[1] if len(sys.argv) > 1 else "help")):
            execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:  # a missing setting is the operator's to fix: say which
        sys.exit(f"manage.py: {error} (see infra/env.example)")


if __name__ == "__main__":
    main()
