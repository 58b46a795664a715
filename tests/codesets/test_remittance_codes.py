"""The CARC/RARC meaning table: shipped in codesets/data/, loaded by a migration and by
load_codesets, idempotently, with our own wording and a category for every code."""

import io
from typing import Any

from django.core.management import call_command

from practica.codesets import loading
from practica.codesets.models import ROUTINE_CATEGORIES, AdjustmentCategory, RemittanceCode
from practica.codesets.remittance_codes import shipped_codes
from practica.codesets.selectors import remittance_codes


def test_the_files_cover_the_common_codes_each_with_a_category() -> None:
    rows = shipped_codes()
    carcs = {row.code for row in rows if row.kind == "carc"}
    rarcs = {row.code for row in rows if row.kind == "rarc"}
    assert len(carcs) >= 200 and len(rarcs) >= 70
    assert len(rows) == len({(row.kind, row.code) for row in rows})  # no code twice
    # The reasons behind most denials a practice sees.
    assert {
        "1",
        "2",
        "3",
        "4",
        "16",
        "18",
        "22",
        "27",
        "29",
        "45",
        "50",
        "96",
        "97",
        "197",
        "204",
        "242",
    } <= carcs
    assert {"M15", "M51", "M76", "MA04", "MA130", "N130", "N20", "N290"} <= rarcs
    by_code = {(row.kind, row.code): row for row in rows}
    assert by_code["carc", "29"].category == AdjustmentCategory.TIMELY_FILING
    assert by_code["carc", "45"].category == AdjustmentCategory.CONTRACTUAL
    assert by_code["carc", "2"].category == AdjustmentCategory.PATIENT_RESPONSIBILITY
    assert by_code["carc", "18"].category == AdjustmentCategory.DUPLICATE
    assert by_code["carc", "197"].category == AdjustmentCategory.AUTHORIZATION
    for row in rows:
        assert row.meaning.endswith(".") and len(row.meaning) <= 300, row


def test_the_migration_loaded_them_and_load_codesets_reloads_idempotently(db: None) -> None:
    shipped = len(shipped_codes())
    assert RemittanceCode.objects.count() == shipped
    RemittanceCode.objects.filter(kind="carc", code="45").update(meaning="changed", category="other")
    RemittanceCode.objects.create(kind="carc", code="999", meaning="gone", category="other")

    out = io.StringIO()
    call_command("load_codesets", "--only", "Z00", stdout=out)
    assert f"{shipped} remittance codes" in out.getvalue()
    assert loading.load_remittance_codes() == shipped
    assert RemittanceCode.objects.count() == shipped + 1
    co45 = RemittanceCode.objects.get(kind="carc", code="45")
    assert (co45.category, co45.meaning.startswith("Charge above")) == ("contractual", True)
    assert not RemittanceCode.objects.get(code="999").is_active  # retired, still readable


def test_meanings_are_read_in_one_query(db: None, django_assert_num_queries: Any) -> None:
    RemittanceCode.objects.exists()  # the connection sets its schema once
    with django_assert_num_queries(1):
        found = remittance_codes(carcs=["50", "45", "X9"], rarcs=["n130", "M15"])
    assert set(found) == {("carc", "50"), ("carc", "45"), ("rarc", "N130"), ("rarc", "M15")}
    assert found["carc", "50"].needs_work
    assert not found["carc", "45"].needs_work
    assert found["carc", "45"].category in ROUTINE_CATEGORIES
    with django_assert_num_queries(0):
        assert remittance_codes() == {}
