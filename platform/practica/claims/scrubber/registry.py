"""The scrubber's rules: each has a stable id (CLM-<family>-<nnn>) that practices' settings, stored
findings and the screens refer to, a default severity, and a check that reads one claim's context
and yields what is wrong with it in words a biller can act on."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from practica.claims.models import Severity

from .context import ClaimContext


@dataclass(frozen=True)
class Problem:
    """What a check found: the field it is about (e.g. `patient.date_of_birth`, `line.modifiers`),
    what to do about it, and the claim line it is on (its line number), if any."""

    field: str
    message: str
    line_number: int | None = None


@dataclass(frozen=True)
class Finding:
    """A problem as reported: with its rule's id and the severity the practice gives that rule."""

    rule_id: str
    field: str
    message: str
    severity: str
    line_number: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR


Check = Callable[[ClaimContext], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    check: Check

    def run(self, context: ClaimContext, severity: str | None = None) -> Iterator[Finding]:
        for problem in self.check(context):
            yield Finding(
                rule_id=self.id,
                field=problem.field,
                message=problem.message[:300],
                severity=severity or self.severity,
                line_number=problem.line_number,
            )


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: str, title: str) -> Callable[[Check], Check]:
    """Register a check as a rule; ids are stable and unique (a practice's settings name them)."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"Two scrub rules share the id {rule_id}.")
        RULES[rule_id] = Rule(rule_id, title, severity, check)
        return check

    return register
