"""The README's layout table names every app, and ARCHITECTURE.md exists for it to point to."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_layout_table_names_every_app() -> None:
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout") : readme.index("\n## ", readme.index("## Layout") + 1)]
    named = set(re.findall(r"^\| `([^`]+)/` \|", layout, flags=re.M))
    apps = {
        f"platform/practica/{path.parent.name}" for path in (ROOT / "platform/practica").glob("*/apps.py")
    }
    apps |= {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert len(apps) > 10
    assert apps - named == set(), "add a row to README.md's layout table for each of these"
    assert (ROOT / "ARCHITECTURE.md").exists()
