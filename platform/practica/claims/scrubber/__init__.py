"""The claim scrubber: rules that check a claim before it goes to the payer, each with a stable id
(CLM-<family>-<nnn>), the field it is about, a plain-language message and a severity (an error
blocks the claim from being made ready and submitted; a warning does not).

- `scrub_claim(claim, today=...)`: on every save of a claim (the claims services call it).
- `scrub_claims(claims, today=...)`: a batch (before submission, a queue), in a number of queries
  that does not grow with the number of claims.

Both store the findings (replacing the previous ones) and set the claim's `scrubbed_at`,
`error_count` and `warning_count`. A practice switches a rule off or changes its severity with a
ScrubRuleSetting, and adds its own field/operator/value rules (CustomScrubRule, see `custom`),
both saved through `settings` (configure_rule, save_custom_rule; rule_catalogue lists the rules).

One module per family of rules: billing_provider, providers, patient, coverage, diagnoses, lines,
place, history, text. `RULES` is the registry, by id."""

from . import billing_provider, coverage, diagnoses, history, lines, patient, place, providers, text
from .context import ClaimContext, Reference, load_contexts
from .custom import FIELDS as CUSTOM_RULE_FIELDS
from .custom import validate_custom_rule
from .registry import RULES, Finding, Problem, Rule
from .run import ScrubResult, evaluate, scrub_claim, scrub_claims

FAMILIES = (billing_provider, providers, patient, coverage, diagnoses, lines, place, history, text)

__all__ = [
    "CUSTOM_RULE_FIELDS",
    "RULES",
    "ClaimContext",
    "Finding",
    "Problem",
    "Reference",
    "Rule",
    "ScrubResult",
    "evaluate",
    "load_contexts",
    "scrub_claim",
    "scrub_claims",
    "validate_custom_rule",
]
