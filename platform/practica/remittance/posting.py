"""Posting claim payments: match each to its claim and lines, check that it balances, and post it
to the insurance ledger (and the patient's responsibility to the patient ledger), or hold it with
its exceptions for a person. One engine for every way a payment arrives: an 835 file
(practica.remittance.services.import_remittance), a person's manual match of a held payment, a
probable duplicate cleared, a paper EOB posted by hand.

Matching. A claim payment (CLP) matches the claim whose patient control number is its CLP01; two
payments of one claim in one payment (other than a reversal beside its correction) are ambiguous
and held. A service payment (SVC) matches the claim's line whose line control number is its
REF*6R; without one (or when it names no line of the claim), the line with the procedure as sent
(SVC06, else SVC01) on the same date of service, narrowed by modifiers and then by charge when
several fit. Nothing is guessed: no line, or several, is an exception.

Balance. A line balances when its charge equals its payment plus its adjustments; a claim when its
charge less its payment equals all its adjustments (its own and its lines'), and its payment equals
its lines' payments less its own adjustments. What does not balance is held, never forced.

Posting. Each line's payment and each adjustment becomes an insurance ledger entry on the claim line
(claim-level adjustments, and a claim paid without lines, on the claim), with a source key naming the
row behind it, so posting twice adds nothing. An adjustment the denials queue works (a denial, not a
contractual or patient share) posts as DENIED, which leaves the line open until the item is worked.
PR adjustments (deductible, coinsurance, copay...) become charges on the patient's ledger through
practica.patient_billing. The claim moves to adjudicated through practica.claims.lifecycle (a
reversal reopens a closed claim). A reversal (CLP02 22) carries negative amounts: its entries are
the counter-entries of the payment it reverses.

Every step runs in a fixed number of queries whatever the number of claims (tests pin it).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from practica.audit.context import current_actor
from practica.claims import lifecycle
from practica.claims.models import Claim, ClaimLine, ClaimStatus
from practica.codesets.models import RemittanceCode
from practica.denials.services import (
    AdjudicatedLine,
    AdjustmentValue,
    ClaimOutcome,
    codes_of,
    needs_work,
    open_denial_items,
)
from practica.patient_billing.ledger import post_entries
from practica.patient_billing.models import LedgerEntry
from practica.remittance.models import (
    Adjustment,
    ClaimPayment,
    InsuranceLedgerEntry,
    Remittance,
    RemittanceException,
    ServicePayment,
)

S = ClaimStatus
Kind = RemittanceException.Kind
MatchedBy = ServicePayment.MatchedBy

#: Claim statuses a payment may be posted to; from the first three the claim moves to adjudicated.
POSTABLE = frozenset({S.SUBMITTED, S.ACCEPTED, S.ADJUDICATED, S.CLOSED, S.REPLACED, S.VOIDED})
_TO_ADJUDICATED = frozenset({S.SUBMITTED, S.ACCEPTED, S.CLOSED})
#: CLP02 codes that adjudicate the claim (processed, denied, processed and forwarded, reversed).
ADJUDICATING = frozenset({"1", "2", "3", "4", "19", "20", "21", "22"})
NOT_OUR_CLAIM = "23"
PRICING_ONLY = "25"
REVERSAL = "22"

ENTRY_KIND = {
    "CO": InsuranceLedgerEntry.Kind.CONTRACTUAL,
    "PI": InsuranceLedgerEntry.Kind.PAYER_INITIATED,
    "PR": InsuranceLedgerEntry.Kind.PATIENT_RESPONSIBILITY,
    "OA": InsuranceLedgerEntry.Kind.OTHER,
    "CR": InsuranceLedgerEntry.Kind.CORRECTION,
}
#: What the common PR reasons are called on the patient's account.
PATIENT_SHARE = {"1": "Deductible", "2": "Coinsurance", "3": "Copay"}


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"


@dataclass
class Bundle:
    """A claim payment with its service payments and adjustments, in memory (saved or not)."""

    payment: ClaimPayment
    services: list[ServicePayment] = field(default_factory=list)
    claim_adjustments: list[Adjustment] = field(default_factory=list)
    line_adjustments: dict[int, list[Adjustment]] = field(default_factory=dict)  # by service position
    problems: list[RemittanceException] = field(default_factory=list)

    def adjustments_of(self, service: ServicePayment) -> list[Adjustment]:
        return self.line_adjustments.get(service.position, [])

    @property
    def all_adjustments(self) -> list[Adjustment]:
        return self.claim_adjustments + [a for s in self.services for a in self.adjustments_of(s)]

    def problem(self, kind: str, message: str, service: ServicePayment | None = None) -> None:
        self.problems.append(
            RemittanceException(kind=kind, message=message[:500], claim_payment=self.payment, service=service)
        )


# ---- deciding: match and balance, in memory -----------------------------------------------------


def decide(bundles: Sequence[Bundle], *, held_remittances: Iterable[uuid.UUID] = ()) -> None:
    """Match every bundle not matched yet to its claim and lines, check its balance, and set its
    state: POSTED-to-be (left `held`, with no problems, for `post` to do), HELD with problems, or
    NOT_POSTED. Three queries whatever the number of bundles."""
    held = set(held_remittances)
    wanted = {b.payment.patient_control_number for b in bundles if b.payment.claim_id is None}
    claims: dict[str, Claim] = (
        {
            c.patient_control_number: c
            for c in Claim.objects.filter(patient_control_number__in=wanted).select_related("encounter")
        }
        if wanted
        else {}
    )
    for bundle in bundles:
        if bundle.payment.claim_id is None and bundle.payment.patient_control_number in claims:
            bundle.payment.claim = claims[bundle.payment.patient_control_number]
            bundle.payment.matched_by = ClaimPayment.MatchedBy.CONTROL_NUMBER
    claim_ids = {b.payment.claim_id for b in bundles if b.payment.claim_id}
    lines: dict[uuid.UUID, list[ClaimLine]] = defaultdict(list)
    if claim_ids:
        for line in ClaimLine.objects.filter(claim_id__in=claim_ids).order_by("claim_id", "line_number"):
            lines[line.claim_id].append(line)
    _ambiguous_claims(bundles)
    for bundle in bundles:
        if bundle.payment.remittance_id in held:
            bundle.payment.state = ClaimPayment.State.HELD
            continue
        _decide_one(bundle, lines)


def _ambiguous_claims(bundles: Sequence[Bundle]) -> None:
    """Several payments of one claim in one payment (but a reversal beside its correction)."""
    by_claim: dict[tuple[object, object, bool], list[Bundle]] = defaultdict(list)
    for bundle in bundles:
        if bundle.payment.claim_id and bundle.payment.matched_by == ClaimPayment.MatchedBy.CONTROL_NUMBER:
            key = (
                bundle.payment.remittance_id,
                bundle.payment.claim_id,
                bundle.payment.status_code == REVERSAL,
            )
            by_claim[key].append(bundle)
    for group in by_claim.values():
        if len(group) < 2:
            continue
        for bundle in group:
            names = ", ".join(
                sorted(
                    {f"{b.payment.patient_last_name} {b.payment.patient_first_name}".strip() for b in group}
                )
            )
            bundle.problem(
                Kind.AMBIGUOUS_CLAIM,
                f"{len(group)} claim payments of this payment name claim "
                f"{bundle.payment.patient_control_number} (patients {names}): match each to its claim.",
            )
            bundle.payment.claim = None
            bundle.payment.matched_by = ClaimPayment.MatchedBy.NONE


def _decide_one(bundle: Bundle, lines: dict[uuid.UUID, list[ClaimLine]]) -> None:
    cp = bundle.payment
    cp.state = ClaimPayment.State.HELD
    if cp.status_code == PRICING_ONLY:
        cp.state = ClaimPayment.State.NOT_POSTED
        return
    if cp.status_code == NOT_OUR_CLAIM:
        bundle.problem(
            Kind.NOT_OUR_CLAIM,
            f"Claim {cp.patient_control_number}: the payer says it is not its claim and forwarded it "
            "to another payer; check the patient's coverage.",
        )
        return
    if bundle.problems:
        return
    claim = cp.claim
    if claim is None:
        bundle.problem(
            Kind.UNMATCHED_CLAIM,
            f"No claim has the patient control number {cp.patient_control_number!r} "
            f"(patient {cp.patient_last_name} {cp.patient_first_name}, line {cp.source_line}).".replace(
                ", line 0", ""
            ),
        )
        return
    if claim.status not in POSTABLE:
        bundle.problem(
            Kind.CLAIM_STATE,
            f"Claim {claim.patient_control_number} is {S(claim.status).label.lower()}: it was never sent, "
            "so no payment can be posted to it.",
        )
        return
    _check_balance(bundle)
    _match_lines(bundle, lines.get(claim.pk, []))


def _check_balance(bundle: Bundle) -> None:
    cp = bundle.payment
    for service in bundle.services:
        adjusted = sum(a.amount_cents for a in bundle.adjustments_of(service))
        off = service.charge_cents - service.paid_cents - adjusted
        if off:
            bundle.problem(
                Kind.LINE_OUT_OF_BALANCE,
                f"Line {service.procedure_code} of claim {cp.patient_control_number}: charge "
                f"{_money(service.charge_cents)} is not payment {_money(service.paid_cents)} plus "
                f"adjustments {_money(adjusted)} (off by {_money(off)}).",
                service,
            )
    adjusted = sum(a.amount_cents for a in bundle.all_adjustments)
    if cp.charge_cents - cp.paid_cents != adjusted:
        bundle.problem(
            Kind.CLAIM_OUT_OF_BALANCE,
            f"Claim {cp.patient_control_number}: charge {_money(cp.charge_cents)} less payment "
            f"{_money(cp.paid_cents)} is not its adjustments {_money(adjusted)}.",
        )
    elif bundle.services:
        own = sum(a.amount_cents for a in bundle.claim_adjustments)
        lines_paid = sum(s.paid_cents for s in bundle.services)
        if lines_paid - own != cp.paid_cents:
            bundle.problem(
                Kind.CLAIM_OUT_OF_BALANCE,
                f"Claim {cp.patient_control_number}: payment {_money(cp.paid_cents)} is not its lines' "
                f"payments {_money(lines_paid)} less its own adjustments {_money(own)}.",
            )


def _match_lines(bundle: Bundle, claim_lines: list[ClaimLine]) -> None:
    by_control = {line.line_control_number: line for line in claim_lines}
    taken = {s.claim_line_id for s in bundle.services if s.claim_line_id}
    cp = bundle.payment
    for service in bundle.services:
        if service.claim_line_id:
            continue
        line = by_control.get(service.line_control_number) if service.line_control_number else None
        if line is not None and line.pk not in taken:
            service.claim_line, service.matched_by = line, MatchedBy.CONTROL_NUMBER
            taken.add(line.pk)
            continue
        procedure, modifiers = _as_sent(service)
        day = service.date_of_service or cp.statement_from
        fits = [
            c
            for c in claim_lines
            if c.pk not in taken
            and c.procedure_code == procedure
            and (day is None or c.date_of_service == day)
        ]
        if len(fits) > 1:
            fits = [c for c in fits if list(c.modifiers) == list(modifiers)] or fits
        if len(fits) > 1:
            fits = [c for c in fits if c.charge_cents == service.charge_cents] or fits
        what = (
            f"Line {service.procedure_code} of {day or 'no date'} paid on claim {cp.patient_control_number}"
        )
        if service.line_control_number and line is None:
            what += f" (line control number {service.line_control_number!r} is not one of the claim's)"
        if not fits:
            bundle.problem(Kind.UNMATCHED_LINE, f"{what} matches none of its lines.", service)
        elif len(fits) > 1:
            bundle.problem(
                Kind.AMBIGUOUS_LINE,
                f"{what} could be lines {', '.join(str(c.line_number) for c in fits)}: match it by hand.",
                service,
            )
        else:
            service.claim_line, service.matched_by = fits[0], MatchedBy.PROCEDURE_DATE
            taken.add(fits[0].pk)


def _as_sent(service: ServicePayment) -> tuple[str, list[str]]:
    if service.submitted_procedure_code:
        code, _, rest = service.submitted_procedure_code.partition(":")
        return code, [m for m in rest.split(":") if m]
    return service.procedure_code, list(service.modifiers)


# ---- posting ------------------------------------------------------------------------------------


@dataclass
class PostingResult:
    posted: list[ClaimPayment] = field(default_factory=list)
    insurance_entries: int = 0
    patient_entries: int = 0


def post(bundles: Sequence[Bundle], *, payer_of: dict[uuid.UUID, object] | None = None) -> PostingResult:
    """Post every decided bundle without problems (rows saved already: source keys name them).
    Four to seven queries whatever their number, plus the claims' moves."""
    result = PostingResult()
    now = timezone.now()
    actor_id = current_actor.get().user_id
    posted = [
        bundle
        for bundle in bundles
        if not bundle.problems
        and bundle.payment.state == ClaimPayment.State.HELD
        and bundle.payment.claim is not None
        and not bundle.payment.remittance.is_held
    ]
    if not posted:
        return result
    outcomes = [(b, _outcome(b, now)) for b in posted]
    # One read of the codes' meanings serves both the ledger (a denial's adjustment leaves its line
    # open) and the denials queue.
    codes = codes_of([o for _, o in outcomes])
    insurance: list[InsuranceLedgerEntry] = []
    patient: list[LedgerEntry] = []
    for bundle in posted:
        insurance += _insurance_entries(bundle, now, actor_id, codes)
        patient += _patient_entries(bundle, now)
        result.posted.append(bundle.payment)
    # A source key posted before is skipped (its row's id is in it, so only a second post of the
    # same held payment could meet one).
    InsuranceLedgerEntry.objects.bulk_create(insurance, ignore_conflicts=True, batch_size=2000)
    result.insurance_entries = len(insurance)
    result.patient_entries = post_entries(patient)
    ids = [cp.pk for cp in result.posted]
    ClaimPayment.objects.filter(pk__in=ids).update(state=ClaimPayment.State.POSTED, posted_at=now)
    for cp in result.posted:
        cp.state, cp.posted_at = ClaimPayment.State.POSTED, now
    _move_claims(result.posted)
    open_denial_items([o for b, o in outcomes if b.payment.status_code != REVERSAL], codes)
    return result


def _outcome(bundle: Bundle, now: dt.datetime) -> ClaimOutcome:
    """What the denials queue needs of a posted claim payment: each line's payment and adjustments
    (a claim paid without lines counts as one line, its claim-level adjustments with it)."""
    cp = bundle.payment
    claim = cp.claim
    assert claim is not None

    def values(adjustments: list[Adjustment]) -> tuple[AdjustmentValue, ...]:
        return tuple(AdjustmentValue(a.group, a.reason_code, a.amount_cents) for a in adjustments)

    lines = [
        AdjudicatedLine(
            source_key=f"era-service:{s.pk}",
            claim_line_id=s.claim_line_id,
            charge_cents=s.charge_cents,
            paid_cents=s.paid_cents,
            adjustments=values(bundle.adjustments_of(s)),
            remark_codes=tuple(s.remark_codes or cp.remark_codes),
        )
        for s in bundle.services
    ]
    if not lines or bundle.claim_adjustments:
        lines.append(
            AdjudicatedLine(
                source_key=f"era-claim:{cp.pk}",
                claim_line_id=None,
                charge_cents=0 if lines else cp.charge_cents,
                paid_cents=cp.paid_cents,
                adjustments=values(bundle.claim_adjustments),
                remark_codes=tuple(cp.remark_codes),
            )
        )
    return ClaimOutcome(
        claim_id=claim.pk,
        patient_id=claim.patient_id,
        payer_id=cp.remittance.payer_id or claim.payer_id,
        denied_on=cp.remittance.payment_date or now.date(),
        lines=lines,
    )


def _entry(
    cp: ClaimPayment,
    line_id: int | None,
    kind: str,
    amount: int,
    key: str,
    now: dt.datetime,
    actor: int | None,
    group: str = "",
    reason: str = "",
) -> InsuranceLedgerEntry:
    return InsuranceLedgerEntry(
        claim=cp.claim,
        claim_line_id=line_id,
        claim_payment=cp,
        payer_id=cp.remittance.payer_id,
        kind=kind,
        group=group,
        reason_code=reason,
        amount_cents=amount,
        source_key=key,
        created_by_id=actor,
        posted_at=now,
    )


def _adjustment_kind(adj: Adjustment, codes: dict[tuple[str, str], RemittanceCode]) -> str:
    """A denial's adjustment (one the denials queue works, reversed or not) stays open on the line;
    the others close it by their group."""
    if needs_work(adj.group, adj.reason_code, codes):
        return InsuranceLedgerEntry.Kind.DENIED
    return ENTRY_KIND[adj.group]


def _insurance_entries(
    bundle: Bundle, now: dt.datetime, actor: int | None, codes: dict[tuple[str, str], RemittanceCode]
) -> list[InsuranceLedgerEntry]:
    cp = bundle.payment
    entries = []
    for service in bundle.services:
        if service.paid_cents:
            entries.append(
                _entry(
                    cp,
                    service.claim_line_id,
                    InsuranceLedgerEntry.Kind.PAYMENT,
                    service.paid_cents,
                    f"svc:{service.pk}:paid",
                    now,
                    actor,
                )
            )
        for adj in bundle.adjustments_of(service):
            if adj.amount_cents:
                entries.append(
                    _entry(
                        cp,
                        service.claim_line_id,
                        _adjustment_kind(adj, codes),
                        adj.amount_cents,
                        f"adj:{adj.pk}",
                        now,
                        actor,
                        adj.group,
                        adj.reason_code,
                    )
                )
    for adj in bundle.claim_adjustments:
        if adj.amount_cents:
            entries.append(
                _entry(
                    cp,
                    None,
                    _adjustment_kind(adj, codes),
                    adj.amount_cents,
                    f"adj:{adj.pk}",
                    now,
                    actor,
                    adj.group,
                    adj.reason_code,
                )
            )
    # What the payer paid beyond (or short of) its lines' payments, at claim level: the whole
    # payment when it reported no lines.
    rest = cp.paid_cents - sum(s.paid_cents for s in bundle.services)
    if rest:
        entries.append(
            _entry(cp, None, InsuranceLedgerEntry.Kind.PAYMENT, rest, f"clp:{cp.pk}:paid", now, actor)
        )
    return entries


def _patient_entries(bundle: Bundle, now: dt.datetime) -> list[LedgerEntry]:
    cp = bundle.payment
    claim = cp.claim
    assert claim is not None
    location_id = claim.encounter.location_id if claim.encounter_id else None
    entries = []
    for adj in bundle.all_adjustments:
        if adj.group != "PR" or not adj.amount_cents:
            continue
        share = PATIENT_SHARE.get(adj.reason_code, "Your share")
        entries.append(
            LedgerEntry(
                patient_id=claim.patient_id,
                kind=LedgerEntry.Kind.CHARGE if adj.amount_cents > 0 else LedgerEntry.Kind.ADJUSTMENT,
                amount_cents=adj.amount_cents,
                memo=(
                    f"{share} after insurance, claim {claim.patient_control_number}"
                    if adj.amount_cents > 0
                    else f"{share} reversed by the insurer, claim {claim.patient_control_number}"
                ),
                location_id=location_id,
                source_key=f"era:{adj.pk}",
                posted_at=now,
            )
        )
    return entries


def _move_claims(posted: list[ClaimPayment]) -> None:
    """Adjudicated, in one move per reason; the payer's claim number kept where the claim has none."""
    from practica.claims.acknowledgements import _store_payer_claim_numbers

    moving: dict[str, list[Claim]] = defaultdict(list)
    numbers: dict[uuid.UUID, str] = {}
    seen: set[uuid.UUID] = set()
    for cp in posted:
        claim = cp.claim
        if claim is None or claim.pk in seen:
            continue
        seen.add(claim.pk)
        if cp.status_code in ADJUDICATING and claim.status in _TO_ADJUDICATED:
            how = "reversed" if cp.status_code == REVERSAL else cp.status_label
            moving[f"835: {how}"].append(claim)
        if cp.payer_claim_control_number and not claim.payer_claim_control_number:
            claim.payer_claim_control_number = cp.payer_claim_control_number[:50]
            numbers[claim.pk] = claim.payer_claim_control_number
    if numbers:
        _store_payer_claim_numbers(numbers)
    for reason, claims in moving.items():
        lifecycle.transition_claims(claims, S.ADJUDICATED, reason=reason)


# ---- loading saved payments back ----------------------------------------------------------------


def load_bundles(payments: Iterable[ClaimPayment]) -> list[Bundle]:
    """Bundles of saved claim payments (their services and adjustments in three queries)."""
    ids = [p.pk for p in payments]
    rows = list(
        ClaimPayment.objects.filter(pk__in=ids)
        .select_related("remittance", "claim__encounter")
        .prefetch_related(
            Prefetch("services", queryset=ServicePayment.objects.order_by("position")),
            Prefetch("adjustments", queryset=Adjustment.objects.order_by("id")),
        )
        .order_by("remittance_id", "position")
    )
    bundles = []
    for cp in rows:
        services = list(cp.services.all())
        position_of = {s.pk: s.position for s in services}
        bundle = Bundle(payment=cp, services=services)
        for adj in cp.adjustments.all():
            if adj.service_id is None:
                bundle.claim_adjustments.append(adj)
            else:
                bundle.line_adjustments.setdefault(position_of[adj.service_id], []).append(adj)
        bundles.append(bundle)
    return bundles


def problem_counts(bundles: Sequence[Bundle]) -> Counter[str]:
    return Counter(p.kind for b in bundles for p in b.problems)


__all__ = ["Bundle", "PostingResult", "Remittance", "decide", "load_bundles", "post"]
