"""Reads an eligibility response, 271 (005010X279A1), and says what it means for a visit.

`read_271(text)` gives the response as it is: the payer (2100A), the provider (2100B), each person
the payer answered about (2000C subscriber, 2000D dependent) with their name, ids, plan dates,
benefits (EB, with the MSG and 2120 entity under each) and AAA rejections at every level. Malformed
text raises `X12ParseError` naming the segment and line.

`assess_271(text, service_types)` never raises: it reads the response and sums it up for the
service types of a visit (`Eligibility`): active, inactive, not found, or could not be verified
(with the reason: a truncated file, a refusal, codes nobody here knows); the plan and group; and
for the visit's service type, in and out of network, the copay, coinsurance, deductible and
out-of-pocket amounts with what remains of them (integer cents).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Literal

from practica.x12 import codes271
from practica.x12.errors import X12ParseError
from practica.x12.tokens import Segment, TransactionSet, read_interchanges

VERSION_PREFIX = "005010X279"

Level = Literal["payer", "provider", "subscriber", "dependent"]
Status = Literal["active", "inactive", "not_found", "unverified"]

_LEVELS: dict[str, Level] = {"20": "payer", "21": "provider", "22": "subscriber", "23": "dependent"}


@dataclass(frozen=True)
class Rejection:
    """An AAA segment: the payer refused the inquiry at `level` ("payer", "provider",
    "subscriber", "dependent"; `for_benefit` when it answers one EQ) for reason `code` (AAA03)."""

    level: str
    code: str
    meaning: str
    next_step: str
    kind: str
    follow_up: str
    line: int
    for_benefit: bool = False

    @property
    def summary(self) -> str:
        return f"the payer answered {self.code}: {self.meaning}"


@dataclass(frozen=True)
class Benefit:
    """An EB segment (loop 2110C/2110D) with what follows it: its MSG texts and the 2120 entity
    (a primary care provider, another payer...). Codes are as sent; `amount` is EB07 in dollars,
    `percent` EB08 as a fraction ("0.2" is 20%)."""

    code: str
    meaning: str
    coverage_level: str
    service_types: tuple[str, ...]
    insurance_type: str
    plan: str
    time_period: str
    amount: Decimal | None
    percent: Decimal | None
    quantity_qualifier: str
    quantity: str
    authorization_required: str
    network: str
    line: int
    messages: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()


@dataclass(frozen=True)
class Member:
    """A person the payer answered about (loop 2000C or 2000D)."""

    level: str
    last_name: str
    first_name: str
    member_id: str
    birth_date: dt.date | None
    sex: str
    trace_numbers: tuple[str, ...]
    group_number: str
    group_name: str
    plan_number: str
    plan_begins: dt.date | None
    plan_ends: dt.date | None
    benefits: tuple[Benefit, ...]
    rejections: tuple[Rejection, ...]
    line: int


@dataclass(frozen=True)
class EligibilityResponse:
    control_number: str
    version: str
    reference: str
    payer_name: str
    payer_id: str
    provider_name: str
    provider_id: str
    rejections: tuple[Rejection, ...]
    members: tuple[Member, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class CostShare:
    """What the patient pays for one service type in one network. Money in integer cents; None
    when the response does not say."""

    copay_cents: int | None = None
    coinsurance_percent: Decimal | None = None
    deductible_cents: int | None = None
    deductible_remaining_cents: int | None = None
    out_of_pocket_cents: int | None = None
    out_of_pocket_remaining_cents: int | None = None

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f) is None for f in self.__dataclass_fields__)


@dataclass(frozen=True)
class Eligibility:
    """What a 271 means for a visit. `reason` says in a sentence why the status is what it is when
    it is not "active"; `next_step` what the desk (or the patient) should do."""

    status: Status
    reason: str = ""
    next_step: str = ""
    plan_name: str = ""
    group_name: str = ""
    group_number: str = ""
    member_id: str = ""
    service_type: str = ""
    in_network: CostShare = field(default_factory=CostShare)
    out_of_network: CostShare = field(default_factory=CostShare)
    plan_begins: dt.date | None = None
    plan_ends: dt.date | None = None
    messages: tuple[str, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    trace_number: str = ""

    @property
    def copay_cents(self) -> int | None:
        """The in-network copay for the visit (what the desk collects at check-in)."""
        return self.in_network.copay_cents


def read_271(text: str) -> EligibilityResponse:
    """The first 271 of the file, as sent. Raises `X12ParseError` naming the segment."""
    interchanges = read_interchanges(text)
    for interchange in interchanges:
        for group in interchange.groups:
            for transaction in group.transactions:
                st = transaction.segments[0]
                if transaction.code != "271":
                    raise st.error(f"this is a {transaction.code}, not a 271 eligibility response")
                if not transaction.version.startswith(VERSION_PREFIX):
                    raise st.error(f"version {transaction.version!r} is not 005010X279 (eligibility 5010)")
                return _Reader(interchange.delimiters.repetition).read(transaction)
    raise interchanges[0].header.error("the file holds no transaction set")


def _decimal(segment: Segment, number: int, what: str) -> Decimal | None:
    value = segment.element(number)
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise segment.error(f"{segment.id}{number:02d} ({what}) {value!r} is not a number") from None
    if not amount.is_finite():
        raise segment.error(f"{segment.id}{number:02d} ({what}) {value!r} is not a number")
    return amount


def _date(segment: Segment, value: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise segment.error(f"{value!r} is not a date (CCYYMMDD)") from None


class _Reader:
    def __init__(self, repetition: str) -> None:
        self.repetition = repetition
        self.notes: list[str] = []

    def rejection(self, segment: Segment, level: str, for_benefit: bool = False) -> Rejection:
        code = segment.element(3)
        reason = codes271.REJECTIONS.get(code)
        if reason is None:
            self.notes.append(f"AAA03 {code!r} at line {segment.line} is not a reason Practica knows")
            reason = codes271.UNKNOWN_REJECTION
        follow = segment.element(4)
        return Rejection(
            level=level,
            code=code,
            meaning=reason.meaning,
            next_step=reason.next_step,
            kind=reason.kind,
            follow_up=codes271.FOLLOW_UP.get(follow, follow),
            line=segment.line,
            for_benefit=for_benefit,
        )

    def benefit(self, eb: Segment) -> Benefit:
        code = eb.element(1)
        meaning = codes271.BENEFITS.get(code, "")
        if not meaning:
            self.notes.append(f"EB01 {code!r} at line {eb.line} is not a benefit code Practica knows")
        raw = eb.element(3)
        separators = [s for s in (self.repetition, eb.component_separator) if s]
        types = [raw] if raw else []
        for sep in separators:
            types = [part for t in types for part in t.split(sep)]
        return Benefit(
            code=code,
            meaning=meaning,
            coverage_level=eb.element(2),
            service_types=tuple(t for t in types if t),
            insurance_type=eb.element(4),
            plan=eb.element(5),
            time_period=eb.element(6),
            amount=_decimal(eb, 7, "amount"),
            percent=_decimal(eb, 8, "percent"),
            quantity_qualifier=eb.element(9),
            quantity=eb.element(10),
            authorization_required=eb.element(11),
            network=eb.element(12),
            line=eb.line,
        )

    def read(self, transaction: TransactionSet) -> EligibilityResponse:
        body = transaction.body
        bht = body[0] if body and body[0].id == "BHT" else None
        if bht is None:
            raise transaction.segments[0].error("a 271 begins with BHT after ST")
        payer_name = payer_id = provider_name = provider_id = ""
        top_rejections: list[Rejection] = []
        members: list[Member] = []
        level: str = ""
        member: dict | None = None
        benefits: list[Benefit] = []
        # The benefit being read (its MSG and 2120 entities follow it), and whether inside LS/LE.
        current: dict | None = None
        in_2120 = False

        def close_benefit() -> None:
            nonlocal current
            if current is not None:
                benefits.append(
                    replace(
                        current["benefit"],
                        messages=tuple(current["messages"]),
                        entities=tuple(current["entities"]),
                    )
                )
                current = None

        def close_member() -> None:
            nonlocal member, benefits
            close_benefit()
            if member is not None:
                members.append(Member(**member, benefits=tuple(benefits)))
            member = None
            benefits = []

        for segment in body[1:]:
            sid = segment.id
            if sid == "HL":
                close_member()
                code = segment.element(3)
                if code not in _LEVELS:
                    raise segment.error(f"HL03 {code!r} is not a level of a 271 (20, 21, 22 or 23)")
                level = _LEVELS[code]
                in_2120 = False
                if level in ("subscriber", "dependent"):
                    member = {
                        "level": level,
                        "last_name": "",
                        "first_name": "",
                        "member_id": "",
                        "birth_date": None,
                        "sex": "",
                        "trace_numbers": (),
                        "group_number": "",
                        "group_name": "",
                        "plan_number": "",
                        "plan_begins": None,
                        "plan_ends": None,
                        "rejections": (),
                        "line": segment.line,
                    }
                continue
            if not level:
                raise segment.error("a 271's loops begin with HL after BHT")
            if sid == "LS":
                in_2120 = True
                continue
            if sid == "LE":
                in_2120 = False
                continue
            if in_2120:
                if sid == "NM1" and current is not None:
                    name = " ".join(p for p in (segment.element(4), segment.element(3)) if p)
                    role = codes271.ENTITIES.get(segment.element(1), segment.element(1))
                    current["entities"].append(f"{role}: {name}")
                continue
            if level == "payer":
                if sid == "NM1":
                    payer_name, payer_id = segment.element(3), segment.element(9)
                elif sid == "AAA":
                    top_rejections.append(self.rejection(segment, "payer"))
                continue
            if level == "provider":
                if sid == "NM1":
                    provider_name = " ".join(p for p in (segment.element(4), segment.element(3)) if p)
                    provider_id = segment.element(9)
                elif sid == "AAA":
                    top_rejections.append(self.rejection(segment, "provider"))
                continue
            assert member is not None
            if sid == "EB":
                close_benefit()
                current = {"benefit": self.benefit(segment), "messages": [], "entities": []}
            elif current is not None:
                # Loop 2110: what follows an EB belongs to it.
                if sid == "MSG" and segment.element(1):
                    current["messages"].append(segment.element(1))
                elif sid == "AAA":
                    member["rejections"] += (self.rejection(segment, level, for_benefit=True),)
            elif sid == "TRN":
                member["trace_numbers"] += (segment.element(2),)
            elif sid == "NM1":
                member["last_name"] = segment.element(3)
                member["first_name"] = segment.element(4)
                member["member_id"] = segment.element(9) or member["member_id"]
            elif sid == "DMG":
                if segment.element(1) == "D8":
                    member["birth_date"] = _date(segment, segment.element(2))
                member["sex"] = segment.element(3)
            elif sid == "REF":
                qualifier = segment.element(1)
                if qualifier == "6P":
                    member["group_number"] = segment.element(2)
                    member["group_name"] = segment.element(3)
                elif qualifier == "18":
                    member["plan_number"] = segment.element(2)
                    if segment.element(3) and not member["group_name"]:
                        member["group_name"] = segment.element(3)
                elif qualifier == "1L" and not member["group_number"]:
                    member["group_number"] = segment.element(2)
            elif sid == "DTP":
                self.plan_dates(segment, member)
            elif sid == "AAA":
                member["rejections"] += (self.rejection(segment, level),)
        close_member()
        return EligibilityResponse(
            control_number=transaction.control_number,
            version=transaction.version,
            reference=bht.element(3),
            payer_name=payer_name,
            payer_id=payer_id,
            provider_name=provider_name,
            provider_id=provider_id,
            rejections=tuple(top_rejections),
            members=tuple(members),
            notes=tuple(self.notes),
        )

    @staticmethod
    def plan_dates(segment: Segment, member: dict) -> None:
        qualifier, form, value = segment.element(1), segment.element(2), segment.element(3)
        if form == "RD8" and "-" in value:
            start, end = value.split("-", 1)
            if qualifier in ("291", "307", "346", "356"):
                member["plan_begins"] = _date(segment, start)
                member["plan_ends"] = _date(segment, end)
            return
        if form != "D8":
            return
        if qualifier in ("346", "356", "291", "307"):
            member["plan_begins"] = _date(segment, value)
        elif qualifier in ("347", "357"):
            member["plan_ends"] = _date(segment, value)


# -- what it means for a visit --------------------------------------------------------------------


def _cents(amount: Decimal | None) -> int | None:
    if amount is None:
        return None
    return int((amount * 100).to_integral_value())


_LEVEL_ORDER = {"IND": 0, "": 1, "EMP": 2, "ESP": 3, "ECH": 4, "SPO": 5, "CHD": 6, "DEP": 7, "FAM": 8}


def _cost_share(benefits: list[Benefit], wanted: tuple[str, ...], network: str) -> tuple[CostShare, str]:
    """Picks, for each kind of amount, the benefit of the most specific service type asked (then
    the general plan, then benefits naming no service type) and the individual level first."""

    def rank(b: Benefit) -> tuple[int, int]:
        types = b.service_types
        place = min((wanted.index(t) for t in types if t in wanted), default=len(wanted) if not types else 99)
        return place, _LEVEL_ORDER.get(b.coverage_level, 9)

    in_network = [b for b in benefits if b.network in (network, "", "W")]
    in_network.sort(key=lambda b: (rank(b), 0 if b.network == network else 1))
    found: dict[str, Decimal] = {}
    chosen_type = ""
    for b in in_network:
        place, _ = rank(b)
        if place == 99:
            continue
        remaining = b.time_period in codes271.REMAINING_PERIODS
        key = {
            ("B", False): "copay",
            ("B", True): "copay",
            ("A", False): "coinsurance",
            ("A", True): "coinsurance",
            ("C", False): "deductible",
            ("C", True): "deductible_remaining",
            ("G", False): "out_of_pocket",
            ("G", True): "out_of_pocket_remaining",
        }.get((b.code, remaining))
        if key is None or key in found:
            continue
        value = b.percent if key == "coinsurance" else b.amount
        if value is None:
            continue
        found[key] = value
        if not chosen_type and place < len(wanted):
            chosen_type = wanted[place]
    share = CostShare(
        copay_cents=_cents(found.get("copay")),
        coinsurance_percent=(found["coinsurance"] * 100).normalize() if "coinsurance" in found else None,
        deductible_cents=_cents(found.get("deductible")),
        deductible_remaining_cents=_cents(found.get("deductible_remaining")),
        out_of_pocket_cents=_cents(found.get("out_of_pocket")),
        out_of_pocket_remaining_cents=_cents(found.get("out_of_pocket_remaining")),
    )
    return share, chosen_type


def _pick_member(response: EligibilityResponse, trace_number: str) -> Member | None:
    if trace_number:
        for m in response.members:
            if trace_number in m.trace_numbers:
                return m
    # The patient is the deepest loop answered: a dependent's benefits sit under 2000D.
    answered = [m for m in response.members if m.benefits or m.rejections]
    dependents = [m for m in answered if m.level == "dependent"]
    candidates = dependents or answered or list(response.members)
    return candidates[0] if candidates else None


def unverified(reason: str, next_step: str = "") -> Eligibility:
    return Eligibility(
        status="unverified",
        reason=f"Could not verify: {reason}.",
        next_step=next_step or "Call the payer to confirm coverage before the visit.",
    )


def assess_271(text: str, service_types: tuple[str, ...] = ("30",), trace_number: str = "") -> Eligibility:
    """What the response means for a visit of these service types (most specific first or last:
    any order; "30", the general plan, is always considered). Never raises."""
    try:
        response = read_271(text)
    except X12ParseError as exc:
        return unverified(f"the response is not a readable 271 ({exc})")
    return assess(response, service_types, trace_number)


def assess(
    response: EligibilityResponse, service_types: tuple[str, ...] = ("30",), trace_number: str = ""
) -> Eligibility:
    specific = tuple(t for t in service_types if t != "30")
    wanted = (*specific, "30")
    for r in response.rejections:
        return Eligibility(
            status="unverified",
            reason=f"Could not verify: {r.summary} (about the {r.level}).",
            next_step=r.next_step,
            rejections=response.rejections,
        )
    member = _pick_member(response, trace_number)
    if member is None:
        return unverified("the response names no subscriber or patient")
    messages = tuple(m for b in member.benefits for m in (*b.messages, *b.entities))
    subscriber = next((m for m in response.members if m.level == "subscriber"), member)
    common = {
        "member_id": member.member_id or subscriber.member_id,
        "group_number": member.group_number or subscriber.group_number,
        "group_name": member.group_name or subscriber.group_name,
        "plan_begins": member.plan_begins,
        "plan_ends": member.plan_ends,
        "messages": messages,
        "rejections": member.rejections,
        "trace_number": (member.trace_numbers or ("",))[0],
    }
    whole = [r for r in member.rejections if not r.for_benefit]
    if whole or (member.rejections and not member.benefits):
        r = (whole or list(member.rejections))[0]
        status: Status = "not_found" if r.kind == "not_found" else "unverified"
        prefix = "Not found" if status == "not_found" else "Could not verify"
        return Eligibility(
            status=status,
            reason=f"{prefix}: {r.summary}.",
            next_step=r.next_step,
            **common,  # type: ignore[arg-type]
        )
    benefits = list(member.benefits)

    def about_visit(b: Benefit) -> bool:
        return not b.service_types or any(t in wanted for t in b.service_types)

    active = [b for b in benefits if b.code in codes271.ACTIVE_CODES and about_visit(b)]
    inactive = [b for b in benefits if b.code in codes271.INACTIVE_CODES and about_visit(b)]
    plan_name = next((b.plan for b in active + inactive + benefits if b.plan), "")
    in_share, type_in = _cost_share(benefits, wanted, "Y")
    out_share, type_out = _cost_share(benefits, wanted, "N")
    chosen = type_in or type_out or "30"
    base = {**common, "plan_name": plan_name, "service_type": chosen}
    if inactive and not active:
        return Eligibility(
            status="inactive",
            reason=f"Inactive: the payer says the coverage is {inactive[0].meaning}.",
            next_step="Ask the patient for their current insurance, or tell them the visit may be self-pay.",
            **base,  # type: ignore[arg-type]
        )
    if active:
        return Eligibility(status="active", in_network=in_share, out_of_network=out_share, **base)  # type: ignore[arg-type]
    unknown = [n for n in response.notes if n.startswith("EB01")]
    why = (
        f"the response says neither active nor inactive ({'; '.join(unknown)})"
        if unknown
        else "the response says neither active nor inactive for this visit's service types"
    )
    return Eligibility(
        status="unverified",
        reason=f"Could not verify: {why}.",
        next_step="Call the payer to confirm coverage before the visit.",
        **base,  # type: ignore[arg-type]
    )
