"""manage.py load_codesets: ICD-10-CM from the pinned package (a subset here: the whole edition
takes over 30 s on a busy machine, so it is loaded by bin/run and on deploy, not by the tests)."""

import io
import subprocess
import sys

from django.core.management import call_command

from practica.codesets import loading
from practica.codesets.models import Icd10Code, PlaceOfService


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("load_codesets", *args, stdout=out)
    return out.getvalue()


def test_a_subset_loads_with_billable_leaves_and_reloads_idempotently(db: None) -> None:
    import simple_icd_10_cm as cm

    printed = run("--only", "E11", "--only", "Z00")
    loaded = {row.code: row for row in Icd10Code.objects.all()}
    expected = [code for code in dict.fromkeys(cm.get_all_codes(True)) if code.startswith(("E11", "Z00"))]
    assert sorted(loaded) == sorted(expected)
    assert f"{len(expected)} items written" in printed
    for code, row in loaded.items():
        assert row.billable == cm.is_leaf(code), code
        assert row.compact == code.replace(".", "")
    e119 = loaded["E11.9"]
    assert (e119.billable, e119.category, e119.block, e119.chapter) == (True, "E11", "E08-E13", "4")
    assert e119.description == "Type 2 diabetes mellitus without complications"
    assert not loaded["E11"].billable  # a category is valid, not billable
    assert loaded["Z00.00"].billable
    assert loaded["E11.9"].edition.endswith(loading.PARTIAL)

    run("--only", "E11", "--only", "Z00")
    assert Icd10Code.objects.count() == len(expected)
    assert (
        PlaceOfService.objects.filter(code__in=["02", "10", "11", "12", "19", "21", "22", "23"]).count() == 8
    )
    assert set(PlaceOfService.objects.filter(telehealth=True).values_list("code", flat=True)) == {"02", "10"}


def test_a_full_load_of_the_installed_edition_is_skipped_without_importing(db: None) -> None:
    Icd10Code.objects.create(
        code="E11.9", compact="E119", description="x", billable=True, edition=loading.icd10_edition()
    )
    printed = run()
    assert "already loaded" in printed
    assert Icd10Code.objects.count() == 1


def test_web_processes_never_import_the_icd10_package() -> None:
    probe = (
        "import os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tests.settings');"
        "import django; django.setup();"
        "import practica.urls_practice, practica.urls_public, practica.asgi, practica.codesets.loading;"
        "from django.core.management import get_commands; get_commands();"
        "print('simple_icd_10_cm' in sys.modules)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_diagnosis_search_finds_billable_codes_by_code_or_words(db: None) -> None:
    from practica.codesets.selectors import billable_codes, search_diagnoses

    for code, words, billable in (
        ("E11", "Type 2 diabetes mellitus", False),
        ("E11.9", "Type 2 diabetes mellitus without complications", True),
        ("E11.65", "Type 2 diabetes mellitus with hyperglycemia", True),
        ("I10", "Essential (primary) hypertension", True),
    ):
        Icd10Code.objects.create(
            code=code, compact=code.replace(".", ""), description=words, billable=billable, edition="t"
        )
    assert [row.code for row in search_diagnoses("e11")] == ["E11.65", "E11.9"]
    assert [row.code for row in search_diagnoses("E11.6")] == ["E11.65"]
    assert [row.code for row in search_diagnoses("diabetes hyperglycemia")] == ["E11.65"]
    assert list(search_diagnoses("  ")) == []
    assert set(billable_codes(["E11.9", "I10", "E11", "Z99.99"])) == {"E119", "I10"}
