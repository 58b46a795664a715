"""Posting rules on small 835s written for each case: matching (line control number, procedure and
date when the payer changed modifiers, ambiguity held), balance at line, claim and file level,
patient responsibility on the patient ledger, reversals as counter-entries, duplicates by trace
number, malformed files refused with nothing changed, the command and the inbox task."""

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Sum
from django.db.utils import DatabaseError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from practica.claims import tasks
from practica.claims.models import Claim, ClaimLine
from practica.patient_billing.models import LedgerEntry
from practica.patient_billing.selectors import balance_cents
from practica.remittance.errors import RemittanceError
from practica.remittance.models import (
    ClaimPayment,
    InsuranceLedgerEntry,
    Remittance,
    RemittanceException,
    RemittanceFile,
)
from practica.remittance.services import (
    ManualAdjustment,
    ManualLine,
    decide_duplicate,
    import_remittance,
    match_to_claim,
    post_manual_payment,
)
from tenants.models import Practice
from tests.claims.factories import ready_claims
from tests.remittance.factories import claims_from_835, envelope, era_for, simple_835

Kind = RemittanceException.Kind


@pytest.fixture
def alpha(practice_a: Practice, in_practice: Any, settings: Any, tmp_path: Path) -> Iterator[Practice]:
    settings.EDI_ROOT = str(tmp_path / "edi")
    with in_practice(practice_a):
        yield practice_a


def submitted(*claims: tuple[str, list[tuple[str, int]]]) -> dict[str, Claim]:
    """Claims as sent: (pcn, [(procedure, charge)]) with line control numbers <pcn>-<n>."""
    text = simple_835(
        [
            (pcn, sum(c for _, c in lines), 0, [(p, c, 0, "", [("CO", "45", c)]) for p, c in lines])
            for pcn, lines in claims
        ],
        trace="SETUP",
    )
    return {c.patient_control_number: c for c in claims_from_835(text)}


def entries(claim: Claim) -> int:
    return int(InsuranceLedgerEntry.objects.filter(claim=claim).aggregate(s=Sum("amount_cents"))["s"] or 0)


def test_lines_match_by_control_number_and_patient_share_goes_to_the_patient_ledger(alpha: Practice) -> None:
    claims = submitted(("C1", [("99213", 12000), ("36415", 1500)]))
    text = simple_835(
        [
            (
                "C1",
                13500,
                8000,
                [
                    ("99213", 12000, 7000, "C1-1", [("CO", "45", 3000), ("PR", "2", 2000)]),
                    ("36415", 1500, 1000, "C1-2", [("CO", "45", 500)]),
                ],
            )
        ]
    )
    result = import_remittance("era.835", text.encode(), validate=False)
    assert (result.posted, result.exceptions, result.duplicates) == (1, 0, 0)
    claim = Claim.objects.get(pk=claims["C1"].pk)
    assert claim.status == "adjudicated" and entries(claim) == 13500
    line1 = ClaimLine.objects.get(line_control_number="C1-1")
    by_line = InsuranceLedgerEntry.objects.filter(claim_line=line1)
    assert sorted(by_line.values_list("kind", "amount_cents")) == [
        ("contractual", 3000),
        ("patient", 2000),
        ("payment", 7000),
    ]
    assert balance_cents(claim.patient) == 2000
    charge = LedgerEntry.objects.get(patient=claim.patient)
    assert charge.kind == "charge" and "Coinsurance" in charge.memo
    assert set(ClaimPayment.objects.get().services.values_list("matched_by", flat=True)) == {"control_number"}


def test_a_line_without_its_control_number_matches_by_procedure_and_date(alpha: Practice) -> None:
    submitted(("C2", [("99213", 12000)]))
    text = simple_835([("C2", 12000, 9000, [("99213", 12000, 9000, "", [("CO", "45", 3000)])])])
    assert import_remittance("era.835", text.encode(), validate=False).posted == 1
    assert ClaimPayment.objects.get().services.get().matched_by == "procedure_date"


def test_two_lines_that_fit_equally_are_held_not_guessed(alpha: Practice) -> None:
    submitted(("C3", [("99213", 12000), ("99213", 12000)]))
    text = simple_835(
        [
            (
                "C3",
                24000,
                18000,
                [
                    ("99213", 12000, 9000, "", [("CO", "45", 3000)]),
                    ("99213", 12000, 9000, "", [("CO", "45", 3000)]),
                ],
            )
        ]
    )
    result = import_remittance("era.835", text.encode(), validate=False)
    assert result.posted == 0
    assert set(RemittanceException.objects.values_list("kind", flat=True)) == {Kind.AMBIGUOUS_LINE}
    assert not InsuranceLedgerEntry.objects.exists()


def test_out_of_balance_lines_and_claims_are_held_with_the_reason(alpha: Practice) -> None:
    submitted(("C4", [("99213", 12000)]), ("C5", [("99213", 10000)]))
    text = simple_835(
        [
            ("C4", 12000, 9000, [("99213", 12000, 9000, "C4-1", [("CO", "45", 2000)])]),
            ("C5", 10000, 9000, [("99213", 10000, 9000, "C5-1", [("CO", "45", 1000)])]),
        ],
        total=99999,
    )
    result = import_remittance("era.835", text.encode(), validate=False)
    assert result.posted == 1
    kinds = sorted(RemittanceException.objects.values_list("kind", flat=True))
    assert kinds == sorted([Kind.LINE_OUT_OF_BALANCE, Kind.CLAIM_OUT_OF_BALANCE, Kind.FILE_OUT_OF_BALANCE])
    line = RemittanceException.objects.get(kind=Kind.LINE_OUT_OF_BALANCE)
    assert "off by $10.00" in line.message
    assert not InsuranceLedgerEntry.objects.filter(claim__patient_control_number="C4").exists()


def test_an_unknown_claim_is_held_and_a_person_matches_it_then_it_posts(alpha: Practice) -> None:
    claims = submitted(("C6", [("99213", 12000)]))
    text = simple_835([("WRONG6", 12000, 9000, [("99213", 12000, 9000, "", [("CO", "45", 3000)])])])
    result = import_remittance("era.835", text.encode(), validate=False)
    assert result.posted == 0
    exception = RemittanceException.objects.get()
    assert exception.kind == Kind.UNMATCHED_CLAIM and "WRONG6" in exception.message
    match_to_claim(exception, claims["C6"])
    exception.refresh_from_db()
    assert exception.status == "resolved"
    assert entries(claims["C6"]) == 12000 and ClaimPayment.objects.get().state == "posted"


def test_reading_a_file_twice_posts_once_and_a_known_trace_number_is_held(alpha: Practice) -> None:
    claims = submitted(("C7", [("99213", 12000)]))
    text = simple_835(
        [("C7", 12000, 9000, [("99213", 12000, 9000, "C7-1", [("CO", "45", 3000)])])], trace="CHK1"
    )
    assert import_remittance("a.835", text.encode(), validate=False).posted == 1
    assert not import_remittance("a-again.835", text.encode(), validate=False).new
    other = text.replace("000000905", "000000906")  # another file, the same check
    second = import_remittance("b.835", other.encode(), validate=False)
    assert (second.posted, second.duplicates) == (0, 1)
    assert entries(claims["C7"]) == 12000
    flagged = Remittance.objects.get(duplicate_status="suspected")
    assert "a.835" in RemittanceException.objects.get(kind=Kind.PROBABLE_DUPLICATE).message
    decide_duplicate(flagged, is_duplicate=True)
    assert entries(claims["C7"]) == 12000
    assert not RemittanceException.objects.filter(status="open").exists()


def test_a_person_clears_a_probable_duplicate_and_it_posts(alpha: Practice) -> None:
    claims = submitted(("C8", [("99213", 12000)]), ("C9", [("99213", 12000)]))
    first = simple_835(
        [("C8", 12000, 9000, [("99213", 12000, 9000, "C8-1", [("CO", "45", 3000)])])], trace="T9"
    )
    second = simple_835(
        [("C9", 12000, 8000, [("99213", 12000, 8000, "C9-1", [("CO", "45", 4000)])])], trace="T9"
    )
    import_remittance("a.835", first.encode(), validate=False)
    import_remittance("b.835", second.encode(), validate=False)
    assert entries(claims["C9"]) == 0
    decide_duplicate(Remittance.objects.get(duplicate_status="suspected"), is_duplicate=False)
    assert entries(claims["C9"]) == 12000


def test_a_reversal_posts_counter_entries_and_never_edits(alpha: Practice) -> None:
    claims = submitted(("C10", [("99213", 12000)]))
    paid = simple_835(
        [("C10", 12000, 9000, [("99213", 12000, 9000, "C10-1", [("CO", "45", 1000), ("PR", "1", 2000)])])],
        trace="P1",
    )
    reversed_ = simple_835(
        [
            (
                "C10",
                -12000,
                -9000,
                [("99213", -12000, -9000, "C10-1", [("CO", "45", -1000), ("PR", "1", -2000)])],
            )
        ],
        trace="R1",
        status="22",
    )
    import_remittance("paid.835", paid.encode(), validate=False)
    Claim.objects.filter(pk=claims["C10"].pk).update(status="closed")
    result = import_remittance("reversal.835", reversed_.encode(), validate=False)
    assert result.posted == 1
    claim = Claim.objects.get(pk=claims["C10"].pk)
    assert entries(claim) == 0 and claim.status == "adjudicated"
    assert InsuranceLedgerEntry.objects.filter(claim=claim).count() == 6
    assert balance_cents(claim.patient) == 0
    entry = InsuranceLedgerEntry.objects.first()
    assert entry is not None
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE remittance_insuranceledgerentry SET amount_cents = 1 WHERE id = %s", [entry.pk]
        )


def test_provider_adjustments_belong_to_the_practice_and_balance_the_file(alpha: Practice) -> None:
    submitted(("C11", [("99213", 12000)]))
    text = simple_835(
        [("C11", 12000, 9000, [("99213", 12000, 9000, "C11-1", [("CO", "45", 3000)])])],
        plb=[("L6", -150), ("WO", 1000)],
    )
    result = import_remittance("era.835", text.encode(), validate=False)
    assert (result.posted, result.exceptions) == (1, 0)
    remittance = Remittance.objects.get()
    assert remittance.total_paid_cents == 9000 - (-150 + 1000)
    assert sorted(remittance.provider_adjustments.values_list("reason_code", "amount_cents")) == [
        ("L6", -150),
        ("WO", 1000),
    ]
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("mangle", "said"),
    [
        (lambda t: t[: len(t) // 2], "ends without"),
        (lambda t: t[:106] + t[106:].replace("*", "|"), "not a segment id"),
        (
            lambda t: envelope([s for s in t.split("~")[3:-4] if not s.startswith("CLP")]),
            "SVC.*before any claim",
        ),
        (lambda t: "Dear biller, here is the remittance.", "not X12"),
    ],
    ids=["truncated", "wrong delimiters", "missing CLP", "not X12"],
)
def test_malformed_files_are_refused_naming_the_segment_and_change_nothing(
    alpha: Practice, mangle: Any, said: str
) -> None:
    submitted(("C12", [("99213", 12000)]))
    text = simple_835([("C12", 12000, 9000, [("99213", 12000, 9000, "C12-1", [("CO", "45", 3000)])])])
    with pytest.raises(RemittanceError, match=said) as refused:
        import_remittance("bad.835", mangle(text).encode(), validate=False)
    assert "bad.835" in refused.value.message and ("line" in refused.value.message or said == "not X12")
    assert not RemittanceFile.objects.exists() and not InsuranceLedgerEntry.objects.exists()


def test_the_command_prints_what_it_did_and_refuses_a_bad_file_posting_nothing(
    alpha: Practice, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    submitted(("C13", [("99213", 12000)]))
    good = tmp_path / "good.835"
    good.write_text(
        simple_835([("C13", 12000, 9000, [("99213", 12000, 9000, "C13-1", [("CO", "45", 3000)])])])
    )
    bad = tmp_path / "bad.835"
    bad.write_text("ISA*00*broken")
    with pytest.raises(CommandError, match="nothing was posted"):
        call_command("import_remittance", "--practice", alpha.slug, str(good), str(bad), "--no-validate")
    assert "bad.835" in capsys.readouterr().err and not RemittanceFile.objects.exists()
    call_command("import_remittance", "--practice", alpha.slug, str(good), "--no-validate")
    assert "1 posted, 0 exceptions, 0 probable duplicates" in capsys.readouterr().out
    call_command("import_remittance", "--practice", alpha.slug, str(good), "--no-validate")
    assert "read before" in capsys.readouterr().out


def test_the_inbox_task_posts_835s_beside_acknowledgements(alpha: Practice, tmp_path: Path) -> None:
    from practica.claims.models import BillingProfile
    from tests.claims.factories import BillingProfileFactory

    BillingProfileFactory.create()
    assert BillingProfile.objects.exists()
    submitted(("C14", [("99213", 12000)]))
    inbox = tmp_path / "edi" / alpha.schema_name / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "era.835").write_text(
        simple_835([("C14", 12000, 9000, [("99213", 12000, 9000, "C14-1", [("CO", "45", 3000)])])])
    )
    (inbox / "broken.835").write_text(simple_835([("C14", 1, 1, [])])[:150])
    assert tasks.import_inbox(alpha.pk) == 1
    assert ClaimPayment.objects.get().state == "posted"
    assert (inbox / "read" / "era.835").is_file()
    assert (inbox / "refused" / "broken.835").is_file() or (inbox / "refused").exists()


def test_a_paper_eob_posts_through_the_same_rules(alpha: Practice) -> None:
    claims = submitted(("C15", [("99213", 12000)]))
    line = ClaimLine.objects.get(claim=claims["C15"])
    with pytest.raises(RemittanceError, match="off by"):
        post_manual_payment(
            claims["C15"],
            check_number="5001",
            check_date=line.date_of_service,
            lines=[ManualLine(line, 9000, (ManualAdjustment("CO", "45", 1000),))],
        )
    assert not Remittance.objects.filter(is_manual=True).exists()
    post_manual_payment(
        claims["C15"],
        check_number="5001",
        check_date=line.date_of_service,
        lines=[
            ManualLine(line, 9000, (ManualAdjustment("CO", "45", 2000), ManualAdjustment("PR", "3", 1000)))
        ],
    )
    assert entries(claims["C15"]) == 12000 and balance_cents(claims["C15"].patient) == 1000


def _posting_queries(count: int, trace: str) -> int:
    claims = ready_claims(count, status="submitted", lines=2)
    text = era_for(claims, trace=trace, control=f"{count:09d}")
    with CaptureQueriesContext(connection) as captured:
        result = import_remittance(f"{trace}.835", text.encode(), validate=False)
    assert (result.posted, result.exceptions) == (count, 0)
    return len(captured.captured_queries)


def test_posting_runs_in_as_many_queries_for_200_claims_as_for_20(alpha: Practice) -> None:
    small = _posting_queries(20, "Q20")
    large = _posting_queries(200, "Q200")
    assert small == large
    assert large <= 40


def test_insurance_deposits_show_in_the_daily_close_beside_patient_payments(alpha: Practice) -> None:
    from zoneinfo import ZoneInfo

    from practica.accounts.roles import Role
    from practica.remittance.selectors import insurance_deposits
    from tests.conftest import signed_in_client, staff

    claims = submitted(("C21", [("99213", 12000)]), ("C22", [("99213", 8050)]))
    text = simple_835(
        [
            ("C21", 12000, 9001, [("99213", 12000, 9001, "C21-1", [("CO", "45", 2999)])]),
        ],
        trace="EFT777",
        plb=[("L6", -125)],  # interest paid beside the claims
    )
    import_remittance("era.835", text.encode(), validate=False)
    line = ClaimLine.objects.get(claim=claims["C22"])
    post_manual_payment(
        claims["C22"],
        check_number="5002",
        check_date=line.date_of_service,
        lines=[ManualLine(line, 6040, (ManualAdjustment("CO", "45", 2010),))],
    )
    zone = ZoneInfo(alpha.time_zone)
    today = timezone.localdate(timezone=zone)
    rows = insurance_deposits(today, zone)
    assert sorted(
        (r["method"], r["trace_number"], r["manual"], r["posted_cents"], r["payment_cents"]) for r in rows
    ) == [
        ("ACH (EFT)", "EFT777", False, 9001, 9126),
        ("Check", "5002", True, 6040, 6040),
    ]
    assert insurance_deposits(today + datetime.timedelta(days=1), zone) == []

    page = signed_in_client(staff(alpha, Role.BILLER), alpha).get("/billing/reports/daily/")
    body = page.content.decode()
    assert page.status_code == 200 and "Insurance deposits" in body
    assert "EFT777" in body and "$91.26" in body and "5002" in body and "(posted by hand)" in body
    assert "Insurance, posted: $150.41" in body
