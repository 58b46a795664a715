"""The scrubber's settings screen (each built-in rule an error, a warning or off; the practice's own
rules) and the ready page's send button: both call the same services as the commands do."""

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from practica.accounts.roles import Role
from practica.claims.models import Claim, ClaimStatus, CustomScrubRule, ScrubRuleSetting, SubmissionBatch
from practica.claims.scrubber.registry import RULES
from practica.claims.scrubber.settings import rule_catalogue
from tenants.models import Practice
from tests.claims.conftest import Billing
from tests.claims.factories import ready_claims
from tests.conftest import signed_in_client, staff

A_RULE = sorted(RULES)[0]


@pytest.fixture
def manager(practice_a: Practice, billing: Billing) -> Client:
    return signed_in_client(staff(practice_a, Role.MANAGER), practice_a)


def test_the_screen_lists_every_built_in_rule_with_the_practice_s_choice(manager: Client) -> None:
    body = manager.get("/claims/setup/scrub-rules/").content.decode()
    assert all(f'name="rule-{rule_id}"' in body for rule_id in RULES)
    assert body.count("<select") == len(RULES)


def test_a_rule_is_switched_off_and_another_made_a_warning_and_the_claims_are_scrubbed_again(
    manager: Client, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[int] = []
    monkeypatch.setattr("practica.claims.tasks.rescrub_practice_claims.delay", queued.append)
    error_rule = next(r for r in rule_catalogue() if r.default_severity == "error" and r.id != A_RULE)

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            "/claims/setup/scrub-rules/", {f"rule-{A_RULE}": "off", f"rule-{error_rule.id}": "warning"}
        )

    assert response.status_code == 302
    settings = {s.rule_id: s for s in ScrubRuleSetting.objects.all()}
    assert set(settings) == {A_RULE, error_rule.id}
    assert settings[A_RULE].enabled is False
    assert (settings[error_rule.id].enabled, settings[error_rule.id].severity_override) == (True, "warning")
    assert len(queued) == 2  # one rescrub per change, each after its commit


def test_an_unknown_choice_changes_nothing(manager: Client) -> None:
    assert manager.post("/claims/setup/scrub-rules/", {f"rule-{A_RULE}": "maybe"}).status_code == 302
    assert not ScrubRuleSetting.objects.exists()


def test_a_practice_rule_is_added_and_one_that_cannot_be_checked_is_refused_naming_the_field(
    manager: Client, billing: Billing
) -> None:
    good = {
        "name": "Injections need a second diagnosis", "field": "claim.diagnosis_count", "operator": "lt",
        "value": "2", "message": "Add a second diagnosis.", "severity": "warning", "enabled": "on",
    }  # fmt: skip
    assert manager.post("/claims/setup/scrub-rules/new/", good).status_code == 302
    rule = CustomScrubRule.objects.get()
    assert (rule.field, rule.operator, rule.value) == ("claim.diagnosis_count", "lt", "2")

    refused = manager.post("/claims/setup/scrub-rules/new/", good | {"value": "two"})
    assert refused.status_code == 400 and b"Nothing was saved" in refused.content
    assert CustomScrubRule.objects.count() == 1

    assert manager.post(f"/claims/setup/scrub-rules/{rule.pk}/remove/").status_code == 302
    assert not CustomScrubRule.objects.exists()


def test_the_send_button_sends_the_ready_claims_one_file_per_payer(
    practice_a: Practice, in_practice: Any, settings: Any, tmp_path: Path
) -> None:
    settings.EDI_ROOT = str(tmp_path)
    with in_practice(practice_a):
        # Seen a month ago, whatever day the suite runs: neither in the future nor past filing.
        claims = ready_claims(4, payers=2, on=timezone.localdate() - datetime.timedelta(days=30))
    biller = signed_in_client(staff(practice_a, Role.BILLER), practice_a)

    response = biller.post("/claims/ready/send/", follow=True)

    assert response.redirect_chain[-1][0] == "/claims/submissions/"
    body = response.content.decode()
    assert body.count("Sent 2 claims to") == 2
    assert SubmissionBatch.objects.count() == 2
    assert set(Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list("status", flat=True)) == {
        ClaimStatus.SUBMITTED
    }
    assert len(list((tmp_path / practice_a.schema_name / "outbox").iterdir())) == 2
    again = biller.post("/claims/ready/send/", follow=True)
    assert "No claim was ready to send." in again.content.decode()


def test_sending_without_a_billing_profile_says_so(practice_a: Practice) -> None:
    biller = signed_in_client(staff(practice_a, Role.BILLER), practice_a)
    response = biller.post("/claims/ready/send/", follow=True)
    assert "billing profile" in response.content.decode()
    assert not SubmissionBatch.objects.exists()


def test_the_rescrub_task_applies_a_switched_off_rule_to_the_unsent_claims(
    practice_a: Practice, in_practice: Any
) -> None:
    from practica.claims.models import ScrubFinding
    from practica.claims.tasks import rescrub_practice_claims

    with in_practice(practice_a):
        claim = ready_claims(1, status="draft")[0]
        ScrubFinding.objects.create(claim=claim, rule_id=A_RULE, message="Old finding.", severity="error")
        Claim.objects.filter(pk=claim.pk).update(error_count=1)
        ScrubRuleSetting.objects.create(rule_id=A_RULE, enabled=False)

    assert rescrub_practice_claims(practice_a.pk) == 1

    with in_practice(practice_a):
        claim.refresh_from_db()
        assert claim.error_count == 0
        assert not ScrubFinding.objects.filter(claim=claim, rule_id=A_RULE).exists()
