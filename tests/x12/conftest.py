import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def badx12_edi() -> Path:
    """The implementation guides' example files from the badx12 0.2.2 wheel. bin/test fetches them
    (bin/lib.sh: setup_x12_examples) and exports where they are."""
    folder = Path(os.environ.get("PRACTICA_BADX12_EDI") or ROOT / ".local/badx12-0.2.2/tests/files/edi")
    if not (folder / "X222-encounter.edi").is_file():
        pytest.fail(
            f"The X12 example files are not in {folder}: run the tests with bin/test, which fetches them"
        )
    return folder
