"""A practice's say over the scrubber: switching a built-in rule off or changing its severity, and
its own field/operator/value rules. The one write path for the settings screens and the API; the
catalogue is what those screens list. Claims already scrubbed keep their findings until scrubbed
again: every change queues `rescrub_unsent_claims` for the practice once it commits."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from practica.claims.errors import ClaimsError
from practica.claims.models import Claim, ClaimStatus, CustomScrubRule, ScrubRuleSetting, Severity
from practica.core.tenancy import current_practice_id

from .custom import validate_custom_rule
from .registry import RULES
from .run import ScrubResult, scrub_claims

# Claims whose findings still matter: not yet sent, or sent back to be fixed.
UNSENT_STATUSES = (ClaimStatus.DRAFT, ClaimStatus.READY, ClaimStatus.REJECTED)


class ScrubSettingError(ClaimsError):
    """A setting or a practice's rule that cannot be saved; `field` names the form field."""

    code = "invalid_scrub_setting"

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RuleChoice:
    """One built-in rule as the practice has it."""

    id: str
    title: str
    default_severity: str
    enabled: bool
    severity: str


def rule_catalogue() -> list[RuleChoice]:
    """Every built-in rule with the practice's choice for it, by id (one query)."""
    settings = {row.rule_id: row for row in ScrubRuleSetting.objects.all()}
    catalogue = []
    for rule_id in sorted(RULES):
        rule, setting = RULES[rule_id], settings.get(rule_id)
        catalogue.append(
            RuleChoice(
                id=rule.id,
                title=rule.title,
                default_severity=rule.severity,
                enabled=setting.enabled if setting else True,
                severity=(setting.severity_override if setting else "") or rule.severity,
            )
        )
    return catalogue


def configure_rule(rule_id: str, *, enabled: bool, severity: str = "") -> ScrubRuleSetting:
    """Switch a built-in rule on or off and set its severity ("" or the rule's own: its default)."""
    rule = RULES.get(rule_id)
    if rule is None:
        raise ScrubSettingError(f"There is no scrub rule {rule_id}.", "rule_id")
    if severity and severity not in Severity.values:
        raise ScrubSettingError("Choose error or warning.", "severity")
    override = "" if severity == rule.severity else severity
    setting, _ = ScrubRuleSetting.objects.update_or_create(
        rule_id=rule_id, defaults={"enabled": enabled, "severity_override": override}
    )
    _rescrub_after_commit()
    return setting


def save_custom_rule(rule: CustomScrubRule) -> CustomScrubRule:
    """Add or change one of the practice's own rules, refused (naming the field) unless it can be
    checked: a known field and operator, a number to compare with, a valid pattern."""
    for name in ("name", "message"):
        if not getattr(rule, name).strip():
            raise ScrubSettingError(f"Enter the rule's {name}.", name)
    if rule.severity not in Severity.values:
        raise ScrubSettingError("Choose error or warning.", "severity")
    try:
        validate_custom_rule(rule)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ScrubSettingError(" ".join(messages), field) from error
    rule.save()
    _rescrub_after_commit()
    return rule


def delete_custom_rule(rule: CustomScrubRule) -> None:
    rule.delete()
    _rescrub_after_commit()


def _rescrub_after_commit() -> None:
    """The unsent claims' findings follow the new rules: scrubbed again by a task once this commits."""
    from practica.claims.tasks import rescrub_practice_claims

    practice_id = current_practice_id()
    transaction.on_commit(lambda: rescrub_practice_claims.delay(practice_id))


def rescrub_unsent_claims(*, today: datetime.date, batch_size: int = 2000) -> int:
    """Scrub again every claim not yet sent (draft, ready, rejected), after the practice changed
    its rules: in batches (each a fixed number of queries), each batch its own transaction.
    Returns how many claims were scrubbed. For a task or a command, not a request."""
    ids = list(Claim.objects.filter(status__in=UNSENT_STATUSES).order_by("pk").values_list("pk", flat=True))
    done = 0
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            results: list[ScrubResult] = scrub_claims(
                [Claim(pk=pk) for pk in ids[start : start + batch_size]], today=today
            )
        done += len(results)
    return done
