"""The project keeps a platform/ folder; the standard library's `platform` module must win."""

import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_platform_is_the_standard_library_inside_the_test_process() -> None:
    import platform

    assert Path(platform.__file__).parent == Path(sysconfig.get_paths()["stdlib"])
    assert platform.system() == "Linux"
    assert callable(platform.python_version)


def test_the_project_packages_under_platform_are_importable() -> None:
    import practica.settings

    assert Path(practica.settings.__file__).is_relative_to(ROOT / "platform")


def test_import_platform_from_the_repository_root_like_the_app_does() -> None:
    # manage.py, daphne and celery run from the repo root with platform/ and . on the path.
    code = "import platform, sys; import practica; print(platform.__file__); print(platform.system())"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}", "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    module_file, system = result.stdout.split()
    assert Path(module_file).parent == Path(sysconfig.get_paths()["stdlib"])
    assert system == "Linux"
