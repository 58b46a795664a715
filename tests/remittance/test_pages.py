"""The billers' remittance pages: an 835 uploaded (a bad one refused on the form, nothing posted),
an exception matched to its claim and posted, a probable duplicate decided, a paper EOB posted."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from practica.accounts.roles import Role
from practica.claims.models import ClaimLine
from practica.patient_billing.selectors import balance_cents
from practica.remittance.models import ClaimPayment, InsuranceLedgerEntry, RemittanceException, RemittanceFile
from tenants.models import Practice
from tests.conftest import signed_in_client, staff
from tests.remittance.factories import claims_from_835, simple_835


@pytest.fixture
def biller(practice_a: Practice, in_practice: Any) -> Iterator[Client]:
    client = signed_in_client(staff(practice_a, Role.BILLER), practice_a)
    yield client


def _era(pcn: str, trace: str = "UP1") -> str:
    return simple_835([(pcn, 12000, 9000, [("99213", 12000, 9000, "", [("CO", "45", 3000)])])], trace=trace)


def test_upload_posts_and_a_bad_file_is_refused_on_the_form(
    biller: Client, practice_a: Practice, in_practice: Any
) -> None:
    with in_practice(practice_a):
        claims_from_835(_era("P1"))
    bad = biller.post("/remittance/", {"file": SimpleUploadedFile("bad.835", b"ISA*00*cut")})
    assert bad.status_code == 400 and "bad.835" in bad.content.decode()
    good = biller.post(
        "/remittance/", {"file": SimpleUploadedFile("era.835", _era("P1").encode())}, follow=True
    )
    assert "era.835: 1 posted, 0 exceptions, 0 probable duplicates" in good.content.decode()
    with in_practice(practice_a):
        assert RemittanceFile.objects.get().source == "upload"
        assert ClaimPayment.objects.get().state == "posted"


def test_an_exception_is_matched_to_its_claim_from_its_page(
    biller: Client, practice_a: Practice, in_practice: Any
) -> None:
    with in_practice(practice_a):
        claims_from_835(_era("P2"))
    biller.post("/remittance/", {"file": SimpleUploadedFile("era.835", _era("WRONG").encode())})
    with in_practice(practice_a):
        exception = RemittanceException.objects.get()
    listed = biller.get("/remittance/exceptions/")
    assert "WRONG" in listed.content.decode()
    page = biller.get(f"/remittance/exceptions/{exception.pk}/")
    assert page.status_code == 200 and "Match to a claim" in page.content.decode()
    nope = biller.post(
        f"/remittance/exceptions/{exception.pk}/", {"action": "match", "patient_control_number": "X"}
    )
    assert nope.status_code == 400
    done = biller.post(
        f"/remittance/exceptions/{exception.pk}/", {"action": "match", "patient_control_number": "P2"}
    )
    assert done.status_code == 302
    with in_practice(practice_a):
        assert InsuranceLedgerEntry.objects.filter(claim__patient_control_number="P2").count() == 2
        exception.refresh_from_db()
        assert exception.status == "resolved"


def test_a_probable_duplicate_is_decided_from_its_page(
    biller: Client, practice_a: Practice, in_practice: Any
) -> None:
    with in_practice(practice_a):
        claims_from_835(_era("P3"))
    biller.post("/remittance/", {"file": SimpleUploadedFile("a.835", _era("P3", "SAME").encode())})
    again = _era("P3", "SAME").replace("000000905", "000000906")
    biller.post("/remittance/", {"file": SimpleUploadedFile("b.835", again.encode())})
    with in_practice(practice_a):
        exception = RemittanceException.objects.get(kind="duplicate")
    page = biller.get(f"/remittance/exceptions/{exception.pk}/")
    assert "A duplicate: do not post" in page.content.decode()
    biller.post(f"/remittance/exceptions/{exception.pk}/", {"action": "duplicate"})
    with in_practice(practice_a):
        assert InsuranceLedgerEntry.objects.filter(kind="payment").count() == 1
        assert not RemittanceException.objects.filter(status="open").exists()


def test_a_paper_eob_is_posted_from_its_page(biller: Client, practice_a: Practice, in_practice: Any) -> None:
    with in_practice(practice_a):
        claim = claims_from_835(_era("P4"))[0]
        line = ClaimLine.objects.get(claim=claim)
    found = biller.get("/remittance/manual/?claim=P4")
    assert found.status_code == 200 and "Check number" in found.content.decode()
    form = {
        "claim": "P4",
        "check_number": "77001",
        "check_date": "2026-10-30",
        f"paid_{line.pk}": "80.00",
        f"group_{line.pk}_1": "CO",
        f"reason_{line.pk}_1": "45",
        f"amount_{line.pk}_1": "30.00",
        f"group_{line.pk}_2": "PR",
        f"reason_{line.pk}_2": "3",
        f"amount_{line.pk}_2": "10.00",
    }
    unbalanced = biller.post("/remittance/manual/", {**form, f"amount_{line.pk}_2": "5.00"})
    assert unbalanced.status_code == 400 and "off by $5.00" in unbalanced.content.decode()
    assert biller.post("/remittance/manual/", form).status_code == 302
    with in_practice(practice_a):
        assert balance_cents(claim.patient) == 1000
        assert sum(e.amount_cents for e in InsuranceLedgerEntry.objects.filter(claim=claim)) == 12000
