"""`practica.core` is the ground floor: it imports no domain app (nor portal, notifications, api),
so every app can build on it without a cycle. Only the tenant model, which django-tenants routing
cannot do without, is imported from above it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRACTICA = ROOT / "platform" / "practica"
CORE = PRACTICA / "core"
# Every app beside core, found on disk so that a new app is covered without editing this test.
ABOVE_CORE = sorted(
    {f"practica.{path.parent.name}" for path in PRACTICA.glob("*/__init__.py") if path.parent.name != "core"}
    | {"tenants", "portal", "notifications", "api"}
)
ALLOWED = {"tenants.models"}  # the Practice and Domain models, for routing a host to its practice


def imported_modules(source: str, module: str) -> set[str]:
    """Every module an `import` or `from ... import` in `source` names, relative ones resolved
    against `module` (the dotted name of the file), wherever in the file they appear."""
    names: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def violations(source: str, module: str) -> list[str]:
    found = []
    for name in sorted(imported_modules(source, module)):
        top = next((app for app in ABOVE_CORE if name == app or name.startswith(app + ".")), None)
        if top and not any(name == ok or name.startswith(ok + ".") for ok in ALLOWED):
            found.append(name)
    return found


def test_core_imports_no_app_above_it() -> None:
    files = sorted(CORE.rglob("*.py"))
    assert len(files) > 5, "practica.core's modules were not found"
    problems = {}
    for path in files:
        module = ".".join(path.relative_to(ROOT / "platform").with_suffix("").parts)
        found = violations(path.read_text(), module)
        if found:
            problems[str(path.relative_to(ROOT))] = found
    assert problems == {}, f"practica.core must not import these (move the code up to its app): {problems}"


def test_the_check_sees_plain_relative_and_late_imports() -> None:
    source = (
        "import portal.sessions\n"
        "from practica.scheduling.models import Provider\n"
        "from ..accounts import roles\n"
        "from tenants.models import Practice\n"
        "def later():\n"
        "    from notifications import sms\n"
    )
    assert violations(source, "practica.core.example") == [
        "notifications",
        "notifications.sms",
        "portal.sessions",
        "practica.accounts",
        "practica.accounts.roles",
        "practica.scheduling.models",
        "practica.scheduling.models.Provider",
    ]
    assert "practica.scheduling" in ABOVE_CORE and "practica.accounts" in ABOVE_CORE
