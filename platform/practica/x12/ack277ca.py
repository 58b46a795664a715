"""Reads a 277CA claim acknowledgment (005010X214): per claim (by patient control number) accepted
or rejected into the payer's or clearinghouse's system, with the status codes and, when given, the
payer's claim control number (REF*1K) that a replacement or void (frequency 7/8) must quote.

Hierarchy: HL 20 information source, 21 information receiver, 19 billing provider, PT patient
(one claim: TRN*2 is its CLM01). Each level may carry STC status segments; the claim's verdict comes
from the category codes (STC01-1, STC10-1, STC11-1) of its own claim-level STCs:
A0, A1, A2 and A5 mean acknowledged into the system (accepted), A3, A4, A6, A7 and A8 mean
returned (rejected); anything else (pending, request for information, system status) is "pending"
and moves nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from practica.x12.errors import X12ParseError
from practica.x12.tokens import Segment, TransactionSet, read_interchanges

Outcome = Literal["accepted", "rejected", "pending"]

ACCEPTED_CATEGORIES = frozenset({"A0", "A1", "A2", "A5"})
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8"})
#: Claim status category codes (external code list 507), in our own words.
CATEGORIES = {
    "A0": "forwarded to another entity",
    "A1": "received",
    "A2": "accepted into the adjudication system",
    "A3": "returned as unprocessable",
    "A4": "not found",
    "A5": "split into several claims",
    "A6": "rejected for missing information",
    "A7": "rejected for invalid information",
    "A8": "rejected for a relational field in error",
    "DA": "data reporting acknowledged",
    "E0": "response not possible: error in the request",
    "E1": "response not possible: system status",
    "E2": "response not possible: error in the request data",
    "E3": "response not possible: send the request later",
    "E4": "response not possible: more time needed",
    "P0": "pending: adjudication or details",
    "P1": "pending: in process",
    "P2": "pending: payer review",
    "P3": "pending: provider requested information",
    "P4": "pending: patient requested information",
    "P5": "pending: payer administrative or system hold",
    "R0": "request for more information: general",
}
LEVELS = {"20": "source", "21": "receiver", "19": "provider", "PT": "patient"}


@dataclass(frozen=True)
class StatusCode:
    """One STC composite: category (507), status (508) and the entity it concerns (98)."""

    category: str
    code: str
    entity: str

    @property
    def meaning(self) -> str:
        return CATEGORIES.get(self.category, f"category {self.category}")


@dataclass(frozen=True)
class Status:
    """One STC segment: its codes (STC01, STC10, STC11), date (STC02), action (STC03: WQ
    accepted, U rejected), charge (STC04) and free text (STC12)."""

    codes: tuple[StatusCode, ...]
    date: dt.date | None
    action: str
    charge: Decimal | None
    message: str

    @property
    def outcome(self) -> Outcome:
        categories = {c.category for c in self.codes}
        if categories & REJECTED_CATEGORIES:
            return "rejected"
        if categories & ACCEPTED_CATEGORIES:
            return "accepted"
        return "pending"


def _outcome(statuses: tuple[Status, ...]) -> Outcome:
    outcomes = {s.outcome for s in statuses}
    if "rejected" in outcomes:
        return "rejected"
    return "accepted" if "accepted" in outcomes else "pending"


@dataclass(frozen=True)
class LineStatus:
    """An SVC loop under a claim: the line's procedure, charge, control number (REF*FJ, the
    REF*6R sent) and its own statuses."""

    procedure: str
    charge: Decimal | None
    control_number: str
    service_date: dt.date | None
    statuses: tuple[Status, ...]

    @property
    def outcome(self) -> Outcome:
        return _outcome(self.statuses)


@dataclass(frozen=True)
class ClaimAck:
    """One claim's acknowledgment. `patient_control_number` is TRN02 (our CLM01),
    `payer_claim_control_number` REF*1K, `clearinghouse_trace` REF*D9."""

    patient_control_number: str
    outcome: Outcome
    statuses: tuple[Status, ...]
    payer_claim_control_number: str
    clearinghouse_trace: str
    patient_last_name: str
    patient_first_name: str
    member_id: str
    billing_provider_npi: str
    total_charge: Decimal | None
    service_date: dt.date | None
    service_date_end: dt.date | None
    lines: tuple[LineStatus, ...]
    line: int

    @property
    def message(self) -> str:
        """The status codes in words, e.g. 'A7 rejected for invalid information (status 562, entity 85)'."""
        parts = []
        for status in self.statuses:
            for c in status.codes:
                detail = ", ".join(
                    x for x in (c.code and f"status {c.code}", c.entity and f"entity {c.entity}") if x
                )
                parts.append(f"{c.category} {c.meaning}" + (f" ({detail})" if detail else ""))
            if status.message:
                parts.append(status.message)
        return "; ".join(parts)


@dataclass(frozen=True)
class LevelAck:
    """A receiver- or provider-level HL: its id (NM109), statuses and the counts it reports
    (QTY*90/QA accepted, QTY*AA/QC rejected; AMT*YU accepted, AMT*YY rejected)."""

    level: str
    name: str
    identifier: str
    statuses: tuple[Status, ...]
    accepted_claims: int | None
    rejected_claims: int | None
    accepted_amount: Decimal | None
    rejected_amount: Decimal | None


@dataclass(frozen=True)
class Ack277CA:
    sender: str
    receiver: str
    interchange_control_number: str
    reference: str
    claims: tuple[ClaimAck, ...]
    levels: tuple[LevelAck, ...]

    def by_patient_control_number(self) -> dict[str, ClaimAck]:
        """The last acknowledgment of each claim in the file (a claim may be listed twice)."""
        return {claim.patient_control_number: claim for claim in self.claims}


def read_277ca(text: str) -> Ack277CA:
    """Reads every 277 transaction set of the file. Raises `X12ParseError` for anything else."""
    interchanges = read_interchanges(text)
    claims: list[ClaimAck] = []
    levels: list[LevelAck] = []
    reference = ""
    for interchange in interchanges:
        for group in interchange.groups:
            for transaction in group.transactions:
                if transaction.code != "277":
                    raise transaction.segments[0].error(f"a {transaction.code} transaction set, not a 277")
                reference = reference or _read_set(transaction, claims, levels)
    if not claims and not levels:
        raise interchanges[0].header.error("the file holds no 277 transaction set")
    first = interchanges[0]
    return Ack277CA(
        sender=first.sender,
        receiver=first.receiver,
        interchange_control_number=first.control_number,
        reference=reference,
        claims=tuple(claims),
        levels=tuple(levels),
    )


def _date(segment: Segment, value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise segment.error(f"{value!r} is not a date (CCYYMMDD)") from None


def _amount(segment: Segment, number: int) -> Decimal | None:
    value = segment.element(number)
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise segment.error(f"{segment.id}{number:02d} {value!r} is not an amount")
    return amount


def _status(stc: Segment) -> Status:
    codes = []
    for number in (1, 10, 11):
        parts = stc.components(number)
        if parts:
            if not parts[0]:
                raise stc.error(f"STC{number:02d} has no status category code")
            codes.append(
                StatusCode(parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")
            )
    if not codes:
        raise stc.error("STC01 (status information) is missing")
    date = stc.element(2)
    return Status(
        codes=tuple(codes),
        date=_date(stc, date) if date else None,
        action=stc.element(3),
        charge=_amount(stc, 4),
        message=stc.element(12),
    )


def _dates(dtp: Segment) -> tuple[dt.date, dt.date | None]:
    form, value = dtp.element(2), dtp.element(3)
    if form == "D8":
        return _date(dtp, value), None
    if form == "RD8" and value.count("-") == 1:
        start, end = value.split("-")
        return _date(dtp, start), _date(dtp, end)
    raise dtp.error(f"DTP02 {form!r} with {value!r} is not a date (D8) or range (RD8)")


class _Level:
    def __init__(self, hl: Segment, code: str, parent: _Level | None) -> None:
        self.hl = hl
        self.code = code
        self.parent = parent
        self.name = self.first = self.identifier = ""
        self.trace = ""
        self.statuses: list[Status] = []
        self.refs: dict[str, str] = {}
        self.dates: tuple[dt.date | None, dt.date | None] = (None, None)
        self.quantities: dict[str, int] = {}
        self.amounts: dict[str, Decimal | None] = {}
        self.lines: list[_Line] = []


class _Line:
    def __init__(self, svc: Segment) -> None:
        parts = svc.components(1)
        self.procedure = ":".join(p for p in parts[1:] if p) if parts else ""
        self.charge = _amount(svc, 2)
        self.statuses: list[Status] = []
        self.control_number = ""
        self.date: dt.date | None = None


def _read_set(transaction: TransactionSet, claims: list[ClaimAck], levels: list[LevelAck]) -> str:
    body = transaction.body
    if not body or body[0].id != "BHT":
        at = body[0] if body else transaction.segments[-1]
        raise at.error("a 277 begins with BHT")
    bht = body[0]
    if bht.element(1) != "0085" or bht.element(6) != "TH":
        raise bht.error("not a claim acknowledgment (BHT01 0085, BHT06 TH expected)")
    by_id: dict[str, _Level] = {}
    order: list[_Level] = []
    current: _Level | None = None
    line: _Line | None = None
    for segment in body[1:]:
        if segment.id == "HL":
            hl_id = segment.required(1, "hierarchical id")
            code = segment.required(3, "hierarchical level code")
            if code not in LEVELS:
                raise segment.error(f"HL03 {code!r} is not a 277CA level (20, 21, 19 or PT)")
            parent_id = segment.element(2)
            parent = by_id.get(parent_id) if parent_id else None
            if parent_id and parent is None:
                raise segment.error(f"HL02 {parent_id!r} names no earlier HL")
            if hl_id in by_id:
                raise segment.error(f"HL01 {hl_id!r} is used twice")
            current = by_id[hl_id] = _Level(segment, code, parent)
            order.append(current)
            line = None
            continue
        if current is None:
            raise segment.error(f"{segment.id} before the first HL")
        if segment.id == "SVC":
            if current.code != "PT":
                raise segment.error("a service line (SVC) outside a patient's claim")
            line = _Line(segment)
            current.lines.append(line)
        elif segment.id == "STC":
            (line.statuses if line else current.statuses).append(_status(segment))
        elif segment.id == "NM1":
            current.name, current.first = segment.element(3), segment.element(4)
            current.identifier = segment.element(9)
        elif segment.id == "TRN":
            current.trace = segment.element(2)
        elif segment.id == "REF":
            if line is not None:
                if segment.element(1) == "FJ":
                    line.control_number = segment.element(2)
            else:
                current.refs[segment.element(1)] = segment.element(2)
        elif segment.id == "DTP":
            if segment.element(1) == "472":
                start, end = _dates(segment)
                if line is not None:
                    line.date = start
                else:
                    current.dates = (start, end)
        elif segment.id == "QTY":
            quantity = segment.element(2)
            if not quantity.isdigit():
                raise segment.error(f"QTY02 {quantity!r} is not a count")
            current.quantities[segment.element(1)] = int(quantity)
        elif segment.id == "AMT":
            current.amounts[segment.element(1)] = _amount(segment, 2)
        elif segment.id == "PER":
            continue
        else:
            raise segment.error(f"{segment.id} has no place in a 277CA")
    for level in order:
        if level.code == "PT":
            claims.append(_claim(level))
        elif level.code in ("21", "19"):
            levels.append(
                LevelAck(
                    level=LEVELS[level.code],
                    name=level.name,
                    identifier=level.identifier,
                    statuses=tuple(level.statuses),
                    accepted_claims=level.quantities.get("90", level.quantities.get("QA")),
                    rejected_claims=level.quantities.get("AA", level.quantities.get("QC")),
                    accepted_amount=level.amounts.get("YU"),
                    rejected_amount=level.amounts.get("YY"),
                )
            )
    return bht.element(3)


def _claim(level: _Level) -> ClaimAck:
    if not level.trace:
        raise level.hl.error("the claim has no TRN*2 (patient control number)")
    if not level.statuses:
        raise level.hl.error(f"claim {level.trace!r} has no claim-level STC")
    statuses = tuple(level.statuses)
    provider = level.parent if level.parent is not None and level.parent.code == "19" else None
    return ClaimAck(
        patient_control_number=level.trace,
        outcome=_outcome(statuses),
        statuses=statuses,
        payer_claim_control_number=level.refs.get("1K", ""),
        clearinghouse_trace=level.refs.get("D9", ""),
        patient_last_name=level.name,
        patient_first_name=level.first,
        member_id=level.identifier,
        billing_provider_npi=provider.identifier if provider else "",
        total_charge=statuses[0].charge,
        service_date=level.dates[0],
        service_date_end=level.dates[1],
        lines=tuple(
            LineStatus(line.procedure, line.charge, line.control_number, line.date, tuple(line.statuses))
            for line in level.lines
        ),
        line=level.hl.line,
    )


__all__ = [
    "Ack277CA",
    "ClaimAck",
    "LevelAck",
    "LineStatus",
    "Status",
    "StatusCode",
    "X12ParseError",
    "read_277ca",
]
