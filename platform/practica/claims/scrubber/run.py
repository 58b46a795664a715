"""Running the rules on claims and keeping what they found."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from practica.claims.models import Claim, ScrubFinding, Severity

from .context import ClaimContext, load_contexts
from .custom import run_custom_rules
from .registry import RULES, Finding

SEVERITY_ORDER: dict[str, int] = {Severity.ERROR: 0, Severity.WARNING: 1}


@dataclass(frozen=True)
class ScrubResult:
    """What the scrub of one claim found (also stored as its ScrubFinding rows and counts)."""

    claim: Claim
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.WARNING]

    @property
    def is_clean(self) -> bool:
        """No errors: the claim may be made ready and submitted (warnings do not block)."""
        return not self.errors


def evaluate(context: ClaimContext) -> list[Finding]:
    """Every enabled rule (with the practice's severity for it) and the practice's own rules on one
    claim, errors first. Reads nothing from the database."""
    settings = context.reference.settings
    findings: list[Finding] = []
    for rule in RULES.values():
        setting = settings.get(rule.id)
        if setting is not None and not setting.enabled:
            continue
        override = setting.severity_override if setting is not None else ""
        findings.extend(rule.run(context, override or None))
    findings.extend(run_custom_rules(context))
    findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 2), f.line_number or 0, f.rule_id))
    return findings


def scrub_claims(
    claims: Iterable[Claim], *, today: datetime.date, now: datetime.datetime | None = None
) -> list[ScrubResult]:
    """Scrub claims as a batch (before submission, or a queue at a time): each claim's findings
    replace its previous ones, and its `scrubbed_at`, `error_count` and `warning_count` are set,
    in the same transaction. `today` is the practice's date (timely filing, dates in the future).

    The number of queries does not depend on how many claims there are: everything is read up
    front (practica.claims.scrubber.context), findings are written in one insert, counts in one
    update. The claims are locked in id order first, so two scrubs of the same claim cannot
    interleave their deletes and inserts (and two batches cannot deadlock)."""
    ids = sorted({claim.pk for claim in claims})
    if not ids:
        return []
    stamp = now or timezone.now()
    with transaction.atomic():
        list(Claim.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
        contexts = load_contexts([Claim(pk=pk) for pk in ids], today=today)
        results = [ScrubResult(context.claim, evaluate(context)) for context in contexts]
        ScrubFinding.objects.filter(claim_id__in=ids).delete()
        rows: list[ScrubFinding] = []
        for context, result in zip(contexts, results, strict=True):
            line_ids = {line.line_number: line.pk for line in context.lines}
            rows.extend(
                ScrubFinding(
                    claim_id=result.claim.pk,
                    rule_id=finding.rule_id,
                    field=finding.field[:80],
                    message=finding.message[:300],
                    severity=finding.severity,
                    line_id=line_ids.get(finding.line_number) if finding.line_number else None,
                )
                for finding in result.findings
            )
        if rows:
            ScrubFinding.objects.bulk_create(rows)
        for result in results:
            result.claim.scrubbed_at = stamp
            result.claim.error_count = min(len(result.errors), 32767)
            result.claim.warning_count = min(len(result.warnings), 32767)
            result.claim.updated_at = stamp
        Claim.objects.bulk_update(
            [result.claim for result in results],
            ["scrubbed_at", "error_count", "warning_count", "updated_at"],
        )
    return results


def scrub_claim(claim: Claim, *, today: datetime.date, now: datetime.datetime | None = None) -> ScrubResult:
    """Scrub one claim as it is saved (the coding and claim screens show the findings at once) and
    store its findings; `claim` is updated in place with the new counts and `scrubbed_at`."""
    result = scrub_claims([claim], today=today, now=now)[0]
    claim.scrubbed_at = result.claim.scrubbed_at
    claim.error_count = result.claim.error_count
    claim.warning_count = result.claim.warning_count
    return result
