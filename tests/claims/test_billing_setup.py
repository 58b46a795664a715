"""Billing setup pages: the billing profile, payers, procedures with a CSV import (dry run, a
report per row, all or nothing) and fee schedules, for those who manage billing setup."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from practica.accounts.roles import Role
from practica.claims.billing_setup import import_procedures
from practica.claims.models import BillingProfile, FeeSchedule, ProcedureCode
from practica.claims.pricing import unit_fee
from practica.insurance.models import Payer
from practica.scheduling.validators import with_check_digit
from tenants.models import Practice
from tests.claims.conftest import Billing
from tests.conftest import signed_in_client, staff


@pytest.fixture
def manager(practice_a: Practice, billing: Billing) -> Client:
    return signed_in_client(staff(practice_a, Role.MANAGER), practice_a)


PROFILE = {
    "legal_name": "Alpha Clinic LLC", "group_npi": with_check_digit("123456789"), "ein": "123456789",
    "taxonomy": "207Q00000X", "address_line1": "1 Main St", "city": "Springfield", "state": "IL",
    "postal_code": "627041234", "submitter_id": "ALPHA01", "submitter_name": "Alpha Clinic",
    "submitter_contact_name": "Billing", "receiver_id": "CH", "receiver_name": "Clearing House",
    "isa_sender_qualifier": "ZZ", "isa_sender_id": "ALPHA01", "isa_receiver_qualifier": "ZZ",
    "isa_receiver_id": "CH", "usage_indicator": "T",
}  # fmt: skip


def test_the_overview_lists_profile_payers_procedures_and_schedules(manager: Client) -> None:
    body = manager.get("/claims/setup/").content.decode()
    assert "Alpha Clinic LLC" in body and "Lakeview Health" in body and "99213" in body


def test_the_billing_profile_is_saved_and_a_bad_npi_refused(manager: Client) -> None:
    bad = manager.post(
        "/claims/setup/profile/", PROFILE | {"group_npi": "1234567890", "legal_name": "Changed"}
    )
    assert bad.status_code == 400 and b"Nothing was saved" in bad.content
    assert BillingProfile.objects.get().legal_name == "Alpha Clinic LLC"
    assert manager.post("/claims/setup/profile/", PROFILE | {"legal_name": "Alpha Health"}).status_code == 302
    assert BillingProfile.objects.get().legal_name == "Alpha Health"


def test_a_payer_is_added_with_its_clearinghouse_id(manager: Client) -> None:
    data = {"name": "Prairie Health", "claim_filing_indicator": "CI", "timely_filing_days": "90",
            "payer_id": "PR123", "is_active": "on"}  # fmt: skip
    assert manager.post("/claims/setup/payers/new/", data).status_code == 302
    payer = Payer.objects.get(name="Prairie Health")
    assert payer.payer_ids == {"folder": "PR123"} and payer.timely_filing_days == 90
    refused = manager.post(f"/claims/setup/payers/{payer.pk}/", data | {"timely_filing_days": "0"})
    assert refused.status_code == 400


def test_a_procedure_is_added_and_a_bad_code_refused(manager: Client) -> None:
    data = {
        "code": "g0439",
        "kind": "hcpcs",
        "label": "Annual wellness",
        "default_fee": "175.50",
        "is_active": "on",
    }
    assert manager.post("/claims/setup/procedures/new/", data).status_code == 302
    procedure = ProcedureCode.objects.get(code="G0439")
    assert (procedure.kind, procedure.default_fee_cents) == ("hcpcs", 17550)
    refused = manager.post("/claims/setup/procedures/new/", data | {"code": "12"})
    assert refused.status_code == 400 and b"5-character CPT or HCPCS" in refused.content


GOOD_CSV = (
    b"code,kind,label,default_fee\n99214,CPT,Office visit 25 min,165.00\n99213,,Office visit,130\n"
    b"J1100,HCPCS,Dexamethasone,$12.50\n"
)
BAD_CSV = (
    b"code,kind,label,default_fee\n99214,CPT,Office visit 25 min,165.00\n9921,CPT,Too short,10\n"
    b"99215,dental,Visit,abc\n99214,CPT,Again,1\n"
)


def upload(client: Client, data: bytes, *, dry_run: bool) -> object:
    file = SimpleUploadedFile("procedures.csv", data, content_type="text/csv")
    return client.post(
        "/claims/setup/procedures/import/", {"file": file, **({"dry_run": "on"} if dry_run else {})}
    )


def test_a_dry_run_reports_and_writes_nothing_then_the_import_writes(manager: Client) -> None:
    before = {p.code: p.default_fee_cents for p in ProcedureCode.objects.all()}
    checked = upload(manager, GOOD_CSV, dry_run=True)
    assert checked.status_code == 200  # type: ignore[attr-defined]
    assert b"2 to add, 1 to update" in checked.content  # type: ignore[attr-defined]
    assert {p.code: p.default_fee_cents for p in ProcedureCode.objects.all()} == before
    assert upload(manager, GOOD_CSV, dry_run=False).status_code == 302  # type: ignore[attr-defined]
    fees = dict(ProcedureCode.objects.values_list("code", "default_fee_cents"))
    assert (fees["99214"], fees["99213"], fees["J1100"]) == (16500, 13000, 1250)
    assert ProcedureCode.objects.get(code="J1100").kind == "hcpcs"


def test_a_bad_file_names_each_bad_row_and_changes_nothing(manager: Client) -> None:
    page = upload(manager, BAD_CSV, dry_run=False)
    assert page.status_code == 400  # type: ignore[attr-defined]
    report = import_procedures(BAD_CSV, dry_run=False)
    assert [(row.line, bool(row.errors)) for row in report.rows] == [
        (2, False),
        (3, True),
        (4, True),
        (5, True),
    ]
    assert "Code: Enter a 5-character CPT or HCPCS code." in report.rows[1].errors
    assert any("Kind must be CPT or HCPCS" in e for e in report.rows[2].errors)
    assert any("Default fee" in e for e in report.rows[2].errors)
    assert report.rows[3].errors == ["99214 is also on line 2."]
    assert not ProcedureCode.objects.filter(code="99214").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"procedure;price\n99213;10\n", "must name the columns"),
        (b"code,kind,label,default_fee\n", "no rows"),
        (b"", "must name the columns"),
    ],
)
def test_a_file_that_is_not_a_procedure_list_is_refused(manager: Client, data: bytes, message: str) -> None:
    report = import_procedures(data, dry_run=False)
    assert not report.ok and any(message in e for e in report.errors), report
    assert upload(manager, data, dry_run=False).status_code == 400  # type: ignore[attr-defined]


def test_a_fee_schedule_prices_the_next_visits(manager: Client, billing: Billing) -> None:
    data = {
        "name": "Lakeview 2026", "payer": billing.payer.pk, "effective_from": "2026-01-01", "is_active": "on",
        f"fee-{billing.office_visit.pk}": "140.00", f"fee-{billing.injection.pk}": "",
    }  # fmt: skip
    bad = manager.post("/claims/setup/fees/new/", data | {f"fee-{billing.injection.pk}": "-3"})
    assert bad.status_code == 400 and not FeeSchedule.objects.exists()
    assert manager.post("/claims/setup/fees/new/", data).status_code == 302
    day = datetime.date(2026, 3, 2)
    assert unit_fee(billing.office_visit, on=day, payer=billing.payer, location=None) == 14000
    assert unit_fee(billing.injection, on=day, payer=billing.payer, location=None) == 2500  # default
    schedule = FeeSchedule.objects.get()
    manager.post(f"/claims/setup/fees/{schedule.pk}/", data | {f"fee-{billing.office_visit.pk}": ""})
    assert not schedule.entries.exists()


def test_billing_setup_is_for_owners_and_managers(practice_a: Practice, billing: Billing) -> None:
    for role in (Role.BILLER, Role.CLINICIAN, Role.FRONT_DESK):
        client = signed_in_client(staff(practice_a, role), practice_a)
        assert client.get("/claims/setup/").status_code == 403
        assert client.post("/claims/setup/profile/", PROFILE | {"legal_name": "Taken"}).status_code == 403
    assert BillingProfile.objects.get().legal_name == "Alpha Clinic LLC"
