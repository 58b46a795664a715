"""infra/env.example documents every environment variable the settings read, and nothing else.

The settings module is parsed, not imported: a variable read only on one branch (DEBUG or not,
Redis or not) counts as well.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "platform" / "practica" / "settings.py"
ENV_EXAMPLE = ROOT / "infra" / "env.example"
# Read by the processes themselves (Python, Django's start-up, a command), not by settings.py.
PROCESS_VARIABLES = {"PYTHONPATH", "DJANGO_SETTINGS_MODULE", "MIGRATION_PROCESSES"}


def _is_os_environ(node: ast.expr) -> bool:
    """`os.environ` or a bare `environ` imported from os."""
    if isinstance(node, ast.Attribute) and node.attr == "environ":
        return isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"


def _first_string(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def variables_read(source: str) -> set[str]:
    """Names read through django-environ (`env("X")`, `env.str("X", ...)`, `env.int(...)`, any
    of its casts) or through `os.environ["X"]`, `os.environ.get("X")` and `os.getenv("X")`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        owner = func.value if isinstance(func, ast.Attribute) else None
        method = func.attr if isinstance(func, ast.Attribute) else None
        reads = (
            (isinstance(func, ast.Name) and func.id == "env")
            or (isinstance(owner, ast.Name) and owner.id == "env")
            or (owner is not None and method in {"get", "setdefault"} and _is_os_environ(owner))
            or (isinstance(owner, ast.Name) and owner.id == "os" and method == "getenv")
        )
        name = _first_string(node) if reads else None
        if name:
            names.add(name)
    return names


def documented_variables(text: str) -> set[str]:
    """`NAME=value` lines, commented out (`#NAME=default`) or not."""
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_the_parser_sees_every_way_of_reading_the_environment() -> None:
    source = (
        "import os\n"
        "from os import environ\n"
        'A = env.str("A", default="")\n'
        'B = env.int("B", default=1)\n'
        'C = env.bool("C", default=False)\n'
        'D = env("D")\n'
        'E = env.db_url("E")\n'
        'F = os.environ["F"]\n'
        'G = os.environ.get("G", "")\n'
        'H = os.getenv("H")\n'
        'I = environ.get("I")\n'
        'J = env.list("J", default=[])\n'
        'K = settings.get("K")\n'
    )
    assert variables_read(source) == set("ABCDEFGHIJ")


def test_env_example_documents_every_variable_the_settings_read() -> None:
    read = variables_read(SETTINGS.read_text())
    # The parse found the settings' reads at all (a parser that finds nothing would pass below).
    assert {"SECRET_KEY", "DATABASE_URL", "STRIPE_SECRET_KEY", "TRUSTED_PROXY_COUNT"} <= read
    undocumented = sorted(read - documented_variables(ENV_EXAMPLE.read_text()))
    assert not undocumented, f"settings.py reads these, infra/env.example lacks them: {undocumented}"


def test_env_example_documents_nothing_the_settings_do_not_read() -> None:
    read = variables_read(SETTINGS.read_text())
    stale = sorted(documented_variables(ENV_EXAMPLE.read_text()) - read - PROCESS_VARIABLES)
    assert not stale, f"infra/env.example documents these, settings.py no longer reads them: {stale}"
