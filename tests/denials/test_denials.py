"""The denials work queue: items opened from a payer's decision (plain values, as the remittance
posting hands them over), their meanings and categories from our CARC/RARC table, the biller's
actions, and the queue page (filters, sorting, overdue, links, pinned query count)."""

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from practica.accounts.roles import Role
from practica.claims.models import Claim, ClaimStatus, FrequencyCode
from practica.denials import services
from practica.denials.errors import DenialError
from practica.denials.models import DenialItem
from practica.denials.services import AdjudicatedLine, AdjustmentValue, ClaimOutcome, open_denial_items
from practica.patient_billing.models import LedgerEntry
from tenants.models import Practice
from tests.claims.conftest import Billing
from tests.claims.test_queues import claim_of
from tests.conftest import signed_in_client, staff

DENIED_ON = datetime.date(2026, 9, 1)  # 60 days (the default window) before 2026-10-31


def adjudicated(billing: Billing, payer_name: str = "") -> Claim:
    claim = claim_of(billing, payer_name=payer_name)
    Claim.objects.filter(pk=claim.pk).update(
        status=ClaimStatus.ADJUDICATED, payer_claim_control_number="ICN1"
    )
    claim.refresh_from_db()
    return claim


def outcome(claim: Claim, denied_on: datetime.date = DENIED_ON) -> ClaimOutcome:
    """Line 1 paid with a contractual reduction and coinsurance (nothing to work); line 2 denied
    as not medically necessary with a remark code."""
    first, second = claim.lines.order_by("line_number")
    return ClaimOutcome(
        claim_id=claim.pk,
        patient_id=claim.patient_id,
        payer_id=claim.payer_id,
        denied_on=denied_on,
        lines=(
            AdjudicatedLine(
                f"t:{first.pk}",
                first.pk,
                first.charge_cents,
                first.charge_cents - 3000,
                (AdjustmentValue("CO", "45", 2000), AdjustmentValue("PR", "2", 1000)),
            ),
            AdjudicatedLine(
                f"t:{second.pk}",
                second.pk,
                second.charge_cents,
                0,
                (AdjustmentValue("CO", "50", second.charge_cents),),
                ("N115",),
            ),
        ),
    )


def test_only_denied_zero_paid_or_unusual_adjustments_open_items_once(
    billing: Billing, django_assert_num_queries: Any
) -> None:
    claim = adjudicated(billing)
    billing.payer.appeal_window_days = 90
    billing.payer.save()
    decided = outcome(claim)
    with django_assert_num_queries(3):  # payers, code meanings, the insert
        assert open_denial_items([decided]) == 1
    (item,) = DenialItem.objects.all()
    second = claim.lines.get(line_number=2)
    assert (item.claim_line_id, item.category, item.amount_cents) == (
        second.pk,
        "medical_necessity",
        second.charge_cents,
    )
    assert (item.reason_codes, item.remark_codes) == (["CO-50"], ["N115"])
    assert item.due_on == DENIED_ON + datetime.timedelta(days=90)
    open_denial_items([outcome(claim)])
    assert DenialItem.objects.count() == 1

    # An unknown reason under CO is worked too; a zero-paid line with only PR is the patient's share
    # but paid nothing, so it is looked at.
    other = adjudicated(billing, "Sunrise Mutual")
    first = other.lines.get(line_number=1)
    open_denial_items(
        [
            ClaimOutcome(
                other.pk,
                other.patient_id,
                other.payer_id,
                DENIED_ON,
                (AdjudicatedLine("u:1", first.pk, 5000, 4000, (AdjustmentValue("OA", "ZZ9", 1000),)),),
            )
        ]
    )
    assert DenialItem.objects.get(source_key="u:1").category == "other"


def test_actions_go_through_services_once(billing: Billing) -> None:
    claim = adjudicated(billing)
    open_denial_items([outcome(claim)])
    item = DenialItem.objects.get()
    with pytest.raises(DenialError, match="Say why"):
        services.write_off(item, " ")
    moved = services.transfer_to_patient(item)
    assert moved.status == DenialItem.Status.TRANSFERRED
    entry = LedgerEntry.objects.get(source_key=f"denial:{item.pk}")
    assert (entry.patient_id, entry.amount_cents, entry.kind) == (
        claim.patient_id,
        item.amount_cents,
        "charge",
    )
    with pytest.raises(DenialError, match="already moved to the patient"):
        services.transfer_to_patient(item)
    assert LedgerEntry.objects.filter(source_key=f"denial:{item.pk}").count() == 1

    DenialItem.objects.filter(pk=item.pk).update(status="open")
    corrected = services.resubmit_corrected(item, today=datetime.date(2026, 10, 31))
    assert (corrected.frequency_code, corrected.original_claim_number, corrected.replaces_id) == (
        FrequencyCode.REPLACEMENT,
        "ICN1",
        claim.pk,
    )
    item.refresh_from_db()
    assert (item.status, item.corrected_claim_id) == ("resubmitted", corrected.pk)


def test_the_queue_page_filters_sorts_flags_overdue_and_pins_its_queries(
    billing: Billing, practice_a: Practice
) -> None:
    biller = signed_in_client(staff(practice_a, Role.BILLER), practice_a)
    # Dates from today, whatever day the suite runs: one denial long overdue, three fresh.
    today = timezone.localdate()
    old = adjudicated(billing)
    open_denial_items([outcome(old, today - datetime.timedelta(days=120))])  # due 30 days ago
    url = "/denials/?sort=amount"
    biller.get(url)
    with CaptureQueriesContext(connection) as one:
        assert biller.get(url).status_code == 200
    for n in range(3):
        open_denial_items([outcome(adjudicated(billing, f"Payer {n}"), today)])
    with CaptureQueriesContext(connection) as many:
        page = biller.get(url)
    assert len(one) == len(many), "\n".join(q["sql"] for q in many.captured_queries)
    assert len(page.context["rows"]) == 4
    body = page.content.decode()
    assert body.count("Overdue") == 1
    assert "CO-50</span>: The payer does not consider the service medically necessary." in body
    item = DenialItem.objects.get(claim=old)
    assert f'href="/claims/{old.pk}/"' in body and f'href="/patients/{old.patient_id}/"' in body
    assert f'href="/schedule/appointments/{old.encounter.appointment_id}/"' in body

    only = biller.get(f"/denials/?payer={old.payer_id}&category=medical_necessity&age=older")
    assert [row[0].pk for row in only.context["rows"]] == [item.pk]
    assert biller.get("/denials/?category=duplicate").context["rows"] == []
    due_first = [row[0].due_on for row in biller.get("/denials/").context["rows"]]
    assert due_first == sorted(due_first)

    # Write-offs are for owners and managers; the biller gets the letter.
    assert biller.post(f"/denials/{item.pk}/", {"action": "write_off", "reason": "small"}).status_code == 403
    letter = biller.post(f"/denials/{item.pk}/appeal-letter/", follow=True)
    assert letter["Content-Type"] == "application/pdf" and letter.content.startswith(b"%PDF")
    manager = signed_in_client(staff(practice_a, Role.MANAGER), practice_a)
    manager.post(f"/denials/{item.pk}/", {"action": "write_off", "reason": "Under the small balance limit"})
    item.refresh_from_db()
    assert (item.status, item.resolution) == ("written_off", "Under the small balance limit")
    assert isinstance(biller, Client)


def test_owners_and_managers_keep_the_practice_appeal_letter(billing: Billing, practice_a: Practice) -> None:
    manager = signed_in_client(staff(practice_a, Role.MANAGER), practice_a)
    assert "{patient}" in manager.get("/denials/setup/appeal-letter/").content.decode()
    refused = manager.post("/denials/setup/appeal-letter/", {"body": "Dear {payer"})
    assert "placeholder is written wrongly" in refused.content.decode()
    manager.post("/denials/setup/appeal-letter/", {"body": "Appeal for {patient} of {practice} re {codes}"})
    claim = adjudicated(billing)
    open_denial_items([outcome(claim)])
    item = DenialItem.objects.get()
    letter = manager.post(f"/denials/{item.pk}/appeal-letter/", follow=True)
    assert letter.content.startswith(b"%PDF")
    from practica.denials.letters import appeal_pdf

    assert appeal_pdf(item, practice_name="Alpha", today="2026-10-31", meanings="") != appeal_pdf(
        item, practice_name="Beta", today="2026-10-31", meanings=""
    )


def test_an_appeal_letter_is_kept_as_the_practice_file_listed_and_audited(
    billing: Billing, practice_a: Practice
) -> None:
    from practica.audit.models import AuditEvent
    from practica.denials.models import AppealLetter

    user = staff(practice_a, Role.BILLER, full_name="Bea Biller")
    biller = signed_in_client(user, practice_a)
    claim = adjudicated(billing)
    open_denial_items([outcome(claim)])
    item = DenialItem.objects.get()
    assert "None generated yet." in biller.get(f"/denials/{item.pk}/").content.decode()

    made = biller.post(f"/denials/{item.pk}/appeal-letter/")
    letter = AppealLetter.objects.get(item=item)
    assert made.status_code == 302 and made["Location"] == f"/denials/{item.pk}/letters/{letter.pk}/"
    # A file of the practice: under its schema's folder, read back as generated.
    assert letter.pdf.name == f"denials/appeals/{letter.pk}.pdf"
    assert f"/{practice_a.schema_name}/denials/appeals/" in letter.pdf.path
    with letter.pdf.open("rb") as handle:
        kept = handle.read()
    assert kept.startswith(b"%PDF")
    created = AuditEvent.objects.get(
        object_type="denials.appealletter", object_id=str(letter.pk), action="create"
    )
    assert created.actor_id == user.pk

    # The template changes later; the kept letter does not.
    services.save_appeal_template("A new letter for {patient}")
    page = biller.get(f"/denials/{item.pk}/").content.decode()
    assert f'href="/denials/{item.pk}/letters/{letter.pk}/"' in page and "by Bea Biller" in page
    downloaded = biller.get(f"/denials/{item.pk}/letters/{letter.pk}/")
    assert downloaded["Content-Type"] == "application/pdf" and downloaded.content == kept
    assert "attachment" in downloaded["Content-Disposition"]
    views = AuditEvent.objects.filter(
        object_type="denials.appealletter", object_id=str(letter.pk), action="view"
    )
    assert [v.actor_id for v in views] == [user.pk]
    # Another item's id with this letter's is not found.
    other = adjudicated(billing, "Other Mutual")
    open_denial_items([outcome(other)])
    stranger = DenialItem.objects.exclude(pk=item.pk).get()
    assert biller.get(f"/denials/{stranger.pk}/letters/{letter.pk}/").status_code == 404
