"""Running the rules on claims and keeping what they found."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from practica.claims.models import Claim, ScrubFinding, Severity

from .context import ClaimContext, load_contexts_by_id
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


# One UPDATE for every claim's counts, joined to arrays of ids and counts: bulk_update's CASE per
# claim grows quadratically (minutes for thousands of claims), and counting the stored findings
# per claim in correlated subqueries costs more than sending the counts already in hand.
_STORE_COUNTS = """
    UPDATE claims_claim AS claim
    SET scrubbed_at = %s, updated_at = %s, error_count = counts.errors, warning_count = counts.warnings
    FROM unnest(%s::uuid[], %s::integer[], %s::integer[]) AS counts (id, errors, warnings)
    WHERE claim.id = counts.id
"""


def _store_counts(results: list["ScrubResult"], stamp: datetime.datetime) -> None:
    ids = [result.claim.pk for result in results]
    errors = [min(len(result.errors), 32767) for result in results]
    warnings = [min(len(result.warnings), 32767) for result in results]
    with connection.cursor() as cursor:
        cursor.execute(_STORE_COUNTS, [stamp, stamp, ids, errors, warnings])


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
    Returns one result per claim, in the order given (each with the claim as re-read).

    The number of queries does not depend on how many claims there are: everything is read up
    front (practica.claims.scrubber.context), findings are written in one insert, counts in one
    update. The claims are locked in id order first, so two scrubs of the same claim cannot
    interleave their deletes and inserts (and two batches cannot deadlock)."""
    given = list(dict.fromkeys(claim.pk for claim in claims))
    ids = sorted(given)
    if not ids:
        return []
    stamp = now or timezone.now()
    with transaction.atomic():
        contexts = load_contexts_by_id(ids, today=today, lock=True)
        results = [ScrubResult(context.claim, evaluate(context)) for context in contexts]
        # One DELETE (findings have no dependants; the audit triggers still record it): a plain
        # delete() would read every finding first to send signals nobody listens to for them.
        ScrubFinding.objects.filter(claim_id__in=ids)._raw_delete(ScrubFinding.objects.db)
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
        _store_counts(results, stamp)
        for result in results:
            result.claim.scrubbed_at = result.claim.updated_at = stamp
            result.claim.error_count = len(result.errors)
            result.claim.warning_count = len(result.warnings)
    by_id = {result.claim.pk: result for result in results}
    return [by_id[pk] for pk in given if pk in by_id]


def scrub_claim(claim: Claim, *, today: datetime.date, now: datetime.datetime | None = None) -> ScrubResult:
    """Scrub one claim as it is saved (the coding and claim screens show the findings at once) and
    store its findings; `claim` is updated in place with the new counts and `scrubbed_at`."""
    result = scrub_claims([claim], today=today, now=now)[0]
    claim.scrubbed_at = result.claim.scrubbed_at
    claim.error_count = result.claim.error_count
    claim.warning_count = result.claim.warning_count
    return result
