"""Reads an 835 health care claim payment/advice (005010X221A1): one `Remittance` per transaction
set (the payment: BPR's amount, method and date, TRN's check or EFT trace number, the payer and
payee), its claim payments (CLP) with their claim-level adjustments (CAS), service lines (SVC)
with their adjustments, remark codes (LQ*HE) and line control numbers (REF*6R), and the
provider-level adjustments (PLB).

Amounts are integer cents (an 835 amount with more than two decimals is refused). Adjustments
keep the sign the payer gave them: a reversal (CLP02 22) carries negative amounts. Balancing is
not checked here: it is the posting's rule (practica.remittance), which keeps what it cannot post
for a person; the reader refuses only what is not a readable 835: not X12, a broken envelope, a
segment out of place (an SVC or CAS before any CLP), a transaction set without claim payments or
provider adjustments, amounts and dates that are not. Every error names the segment and its line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from practica.x12.errors import X12ParseError
from practica.x12.tokens import Segment, TransactionSet, read_interchanges

#: CLP02 claim status codes, in our own words.
CLAIM_STATUSES = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to another payer",
    "20": "processed as secondary, forwarded to another payer",
    "21": "processed as tertiary, forwarded to another payer",
    "22": "reversal of a previous payment",
    "23": "not our claim, forwarded to another payer",
    "25": "predetermination pricing only, no payment",
}
#: CAS01 claim adjustment group codes.
GROUPS = {
    "CO": "contractual obligation",
    "PI": "payer initiated reduction",
    "PR": "patient responsibility",
    "OA": "other adjustment",
    "CR": "correction or reversal",
}


@dataclass(frozen=True)
class Adjustment:
    """One CAS reason/amount/quantity triple (a CAS segment carries up to six)."""

    group: str
    reason: str
    amount_cents: int
    quantity: Decimal | None
    line: int


@dataclass(frozen=True)
class ServicePayment:
    """One SVC loop (2110). `procedure` is SVC01-2 as paid; `submitted_procedure` SVC06-2 when the
    payer changed the code (the one sent), with its modifiers."""

    qualifier: str
    procedure: str
    modifiers: tuple[str, ...]
    charge_cents: int
    paid_cents: int
    revenue_code: str
    units_paid: Decimal | None
    submitted_procedure: str
    submitted_modifiers: tuple[str, ...]
    units_submitted: Decimal | None
    date_of_service: dt.date | None
    date_of_service_end: dt.date | None
    line_control_number: str
    allowed_cents: int | None
    adjustments: tuple[Adjustment, ...]
    remark_codes: tuple[str, ...]
    line: int

    @property
    def adjustment_cents(self) -> int:
        return sum(a.amount_cents for a in self.adjustments)

    @property
    def original_procedure(self) -> str:
        """The procedure as it was sent: SVC06 when given, otherwise SVC01."""
        return self.submitted_procedure or self.procedure

    @property
    def original_modifiers(self) -> tuple[str, ...]:
        return self.submitted_modifiers if self.submitted_procedure else self.modifiers


@dataclass(frozen=True)
class ClaimPayment:
    """One CLP loop (2100)."""

    patient_control_number: str
    status_code: str
    charge_cents: int
    paid_cents: int
    patient_responsibility_cents: int
    filing_indicator: str
    payer_claim_control_number: str
    facility_code: str
    frequency_code: str
    patient_last_name: str
    patient_first_name: str
    member_id: str
    statement_from: dt.date | None
    statement_to: dt.date | None
    adjustments: tuple[Adjustment, ...]
    services: tuple[ServicePayment, ...]
    remark_codes: tuple[str, ...]
    line: int

    @property
    def status(self) -> str:
        return CLAIM_STATUSES.get(self.status_code, f"status {self.status_code}")

    @property
    def adjustment_cents(self) -> int:
        """Every adjustment of the claim, its own and its lines'."""
        return sum(a.amount_cents for a in self.adjustments) + sum(s.adjustment_cents for s in self.services)


@dataclass(frozen=True)
class ProviderAdjustment:
    """One PLB adjustment (a PLB carries up to six): reason (PLB03-1, e.g. L6 interest, WO
    overpayment recovery, FB forward balance), its reference (PLB03-2) and amount. A positive amount
    lowers the payment, a negative one raises it."""

    provider_identifier: str
    fiscal_period_end: dt.date | None
    reason: str
    reference: str
    amount_cents: int
    line: int


@dataclass(frozen=True)
class Remittance:
    """One 835 transaction set: one payment (or advice of none)."""

    control_number: str
    handling_code: str
    total_paid_cents: int
    credit_debit: str
    payment_method: str
    payment_date: dt.date | None
    trace_number: str
    originator_id: str
    payer_name: str
    payer_identifier: str
    payee_name: str
    payee_identifier_qualifier: str
    payee_identifier: str
    production_date: dt.date | None
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...]
    line: int

    @property
    def provider_adjustment_cents(self) -> int:
        return sum(p.amount_cents for p in self.provider_adjustments)


@dataclass(frozen=True)
class Remittance835:
    sender: str
    receiver: str
    interchange_control_number: str
    remittances: tuple[Remittance, ...] = field(default_factory=tuple)

    @property
    def claim_count(self) -> int:
        return sum(len(r.claims) for r in self.remittances)


def read_835(text: str) -> Remittance835:
    """Reads every 835 transaction set of the file; raises `X12ParseError` naming the segment and
    line for anything that is not a readable 835."""
    interchanges = read_interchanges(text)
    remittances: list[Remittance] = []
    for interchange in interchanges:
        for group in interchange.groups:
            for transaction in group.transactions:
                st = transaction.segments[0]
                if transaction.code != "835":
                    raise st.error(f"a {transaction.code} transaction set, not an 835")
                if not transaction.version.startswith("005010X221"):
                    raise st.error(
                        f"version {transaction.version or '(none)'}: Practica reads 835s of 005010X221A1"
                    )
                remittances.append(_read_set(transaction))
    if not remittances:
        raise interchanges[0].header.error("the file holds no 835 transaction set")
    first = interchanges[0]
    return Remittance835(
        sender=first.sender,
        receiver=first.receiver,
        interchange_control_number=first.control_number,
        remittances=tuple(remittances),
    )


# ---- values -------------------------------------------------------------------------------------


def _cents(segment: Segment, number: int, *, required: bool = False, what: str = "amount") -> int:
    value = segment.element(number)
    if not value:
        if required:
            raise segment.error(f"{segment.id}{number:02d} ({what}) is missing")
        return 0
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise segment.error(f"{segment.id}{number:02d} {value!r} is not an amount")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise segment.error(f"{segment.id}{number:02d} {value!r} has more than two decimals")
    return int(cents)


def _optional_cents(segment: Segment, number: int) -> int | None:
    return _cents(segment, number) if segment.element(number) else None


def _quantity(segment: Segment, number: int) -> Decimal | None:
    value = segment.element(number)
    if not value:
        return None
    try:
        quantity = Decimal(value)
    except InvalidOperation:
        quantity = Decimal("NaN")
    if not quantity.is_finite():
        raise segment.error(f"{segment.id}{number:02d} {value!r} is not a quantity")
    return quantity


def _date(segment: Segment, number: int) -> dt.date | None:
    value = segment.element(number)
    if not value:
        return None
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise segment.error(f"{segment.id}{number:02d} {value!r} is not a date (CCYYMMDD)") from None


def _procedure(segment: Segment, number: int) -> tuple[str, str, tuple[str, ...]]:
    """(qualifier, code, modifiers) of a composite medical procedure identifier (C003)."""
    parts = segment.components(number)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise segment.error(
            f"{segment.id}{number:02d} {segment.element(number)!r} is not a procedure (qualifier:code)"
        )
    return parts[0], parts[1], tuple(p for p in parts[2:6] if p)


def _adjustments(cas: Segment) -> list[Adjustment]:
    group = cas.required(1, "claim adjustment group code")
    if group not in GROUPS:
        raise cas.error(f"CAS01 {group!r} is not an adjustment group (CO, PI, PR, OA or CR)")
    found = []
    for reason_at in (2, 5, 8, 11, 14, 17):
        reason = cas.element(reason_at)
        if not reason:
            if cas.element(reason_at + 1):
                raise cas.error(f"CAS{reason_at + 1:02d} has an amount without a reason (CAS{reason_at:02d})")
            continue
        found.append(
            Adjustment(
                group=group,
                reason=reason,
                amount_cents=_cents(cas, reason_at + 1, required=True, what="adjustment amount"),
                quantity=_quantity(cas, reason_at + 2),
                line=cas.line,
            )
        )
    if not found:
        raise cas.error("CAS02 (adjustment reason) is missing")
    return found


# ---- the transaction set ------------------------------------------------------------------------


class _Service:
    def __init__(self, svc: Segment) -> None:
        self.segment = svc
        self.qualifier, self.procedure, self.modifiers = _procedure(svc, 1)
        self.charge = _cents(svc, 2, required=True, what="line charge")
        self.paid = _cents(svc, 3, required=True, what="line payment")
        self.revenue_code = svc.element(4)
        self.units_paid = _quantity(svc, 5)
        if svc.element(6):
            _, self.submitted, self.submitted_modifiers = _procedure(svc, 6)
        else:
            self.submitted, self.submitted_modifiers = "", ()
        self.units_submitted = _quantity(svc, 7)
        self.date: dt.date | None = None
        self.date_end: dt.date | None = None
        self.control_number = ""
        self.allowed: int | None = None
        self.adjustments: list[Adjustment] = []
        self.remarks: list[str] = []

    def build(self) -> ServicePayment:
        return ServicePayment(
            qualifier=self.qualifier,
            procedure=self.procedure,
            modifiers=self.modifiers,
            charge_cents=self.charge,
            paid_cents=self.paid,
            revenue_code=self.revenue_code,
            units_paid=self.units_paid,
            submitted_procedure=self.submitted,
            submitted_modifiers=self.submitted_modifiers,
            units_submitted=self.units_submitted,
            date_of_service=self.date,
            date_of_service_end=self.date_end,
            line_control_number=self.control_number,
            allowed_cents=self.allowed,
            adjustments=tuple(self.adjustments),
            remark_codes=tuple(self.remarks),
            line=self.segment.line,
        )


class _Claim:
    def __init__(self, clp: Segment) -> None:
        self.segment = clp
        self.pcn = clp.required(1, "patient control number")
        self.status = clp.required(2, "claim status code")
        self.charge = _cents(clp, 3, required=True, what="total claim charge")
        self.paid = _cents(clp, 4, required=True, what="claim payment")
        self.patient_responsibility = _cents(clp, 5)
        self.filing_indicator = clp.element(6)
        self.payer_number = clp.element(7)
        self.facility = clp.element(8)
        self.frequency = clp.element(9)
        self.last = self.first = self.member = ""
        self.statement: list[dt.date | None] = [None, None]
        self.adjustments: list[Adjustment] = []
        self.services: list[_Service] = []
        self.remarks: list[str] = []

    def build(self) -> ClaimPayment:
        return ClaimPayment(
            patient_control_number=self.pcn,
            status_code=self.status,
            charge_cents=self.charge,
            paid_cents=self.paid,
            patient_responsibility_cents=self.patient_responsibility,
            filing_indicator=self.filing_indicator,
            payer_claim_control_number=self.payer_number,
            facility_code=self.facility,
            frequency_code=self.frequency,
            patient_last_name=self.last,
            patient_first_name=self.first,
            member_id=self.member,
            statement_from=self.statement[0],
            statement_to=self.statement[1],
            adjustments=tuple(self.adjustments),
            services=tuple(s.build() for s in self.services),
            remark_codes=tuple(self.remarks),
            line=self.segment.line,
        )


# Segments of the header and of claims that carry nothing posting needs: read past them.
_PASSED = frozenset(
    {"CUR", "REF", "DTM", "N3", "N4", "PER", "RDM", "LX", "TS3", "TS2", "MIA", "MOA", "QTY", "AMT", "NM1"}
)


def _read_set(transaction: TransactionSet) -> Remittance:
    body = transaction.body
    st = transaction.segments[0]
    if not body or body[0].id != "BPR":
        at = body[0] if body else transaction.segments[-1]
        raise at.error("an 835 begins with BPR (the payment)")
    bpr = body[0]
    handling = bpr.required(1, "transaction handling code")
    total = _cents(bpr, 2, required=True, what="total actual provider payment")
    trace = originator = payer_name = payer_id = payee_name = payee_qualifier = payee_id = ""
    production: dt.date | None = None
    claims: list[_Claim] = []
    plbs: list[ProviderAdjustment] = []
    claim: _Claim | None = None
    service: _Service | None = None
    entity = ""  # the N1 loop we are in (PR payer, PE payee) before the first claim
    for segment in body[1:]:
        sid = segment.id
        if sid == "CLP":
            claim = _Claim(segment)
            claims.append(claim)
            service = None
        elif sid == "SVC":
            if claim is None:
                raise segment.error("a service line (SVC) before any claim payment (CLP)")
            service = _Service(segment)
            claim.services.append(service)
        elif sid == "CAS":
            if claim is None:
                raise segment.error("an adjustment (CAS) before any claim payment (CLP)")
            (service.adjustments if service else claim.adjustments).extend(_adjustments(segment))
        elif sid == "PLB":
            plbs.extend(_provider_adjustments(segment))
            claim = service = None
        elif sid == "LX":
            claim = service = None
        elif sid == "TRN" and claim is None:
            trace = segment.required(2, "check or EFT trace number")
            originator = segment.element(3)
        elif sid == "N1" and claim is None:
            entity = segment.element(1)
            if entity == "PR":
                payer_name = segment.element(2)
                payer_id = segment.element(4)
            elif entity == "PE":
                payee_name = segment.element(2)
                payee_qualifier, payee_id = segment.element(3), segment.element(4)
        elif sid == "REF" and claim is None:
            if entity == "PR" and segment.element(1) == "2U" and not payer_id:
                payer_id = segment.element(2)
        elif sid == "DTM" and claim is None:
            if segment.element(1) == "405":
                production = _date(segment, 2)
        elif sid == "NM1" and claim is not None and service is None:
            if segment.element(1) == "QC":
                claim.last, claim.first, claim.member = (
                    segment.element(3),
                    segment.element(4),
                    segment.element(9),
                )
        elif sid == "DTM" and service is not None:
            qualifier = segment.element(1)
            if qualifier in ("472", "150"):
                service.date = _date(segment, 2)
            elif qualifier == "151":
                service.date_end = _date(segment, 2)
        elif sid == "DTM" and claim is not None:
            qualifier = segment.element(1)
            if qualifier == "232":
                claim.statement[0] = _date(segment, 2)
            elif qualifier == "233":
                claim.statement[1] = _date(segment, 2)
        elif sid == "REF" and service is not None:
            if segment.element(1) == "6R":
                service.control_number = segment.element(2)
        elif sid == "AMT" and service is not None:
            if segment.element(1) == "B6":
                service.allowed = _cents(segment, 2)
        elif sid == "LQ" and service is not None:
            if segment.element(1) == "HE":
                service.remarks.append(segment.required(2, "remark code"))
        elif sid == "LQ":
            raise segment.error("a remark (LQ) outside a service line")
        elif sid == "MOA" and claim is not None:
            claim.remarks.extend(v for v in (segment.element(n) for n in range(3, 8)) if v)
        elif sid in ("BPR", "ST", "SE"):
            raise segment.error(f"{sid} in the middle of a transaction set")
        elif sid not in _PASSED and sid not in ("TRN", "N1"):
            raise segment.error(f"{sid} has no place in an 835")
    if not claims and not plbs:
        raise st.error("the 835 holds no claim payment (CLP) and no provider adjustment (PLB)")
    return Remittance(
        control_number=transaction.control_number,
        handling_code=handling,
        total_paid_cents=total,
        credit_debit=bpr.element(3),
        payment_method=bpr.element(4),
        payment_date=_date(bpr, 16),
        trace_number=trace,
        originator_id=originator,
        payer_name=payer_name,
        payer_identifier=payer_id,
        payee_name=payee_name,
        payee_identifier_qualifier=payee_qualifier,
        payee_identifier=payee_id,
        production_date=production,
        claims=tuple(c.build() for c in claims),
        provider_adjustments=tuple(plbs),
        line=st.line,
    )


def _provider_adjustments(plb: Segment) -> list[ProviderAdjustment]:
    provider = plb.required(1, "provider identifier")
    fiscal = _date(plb, 2)
    found = []
    for at in (3, 5, 7, 9, 11, 13):
        if not plb.element(at):
            continue
        parts = plb.components(at)
        found.append(
            ProviderAdjustment(
                provider_identifier=provider,
                fiscal_period_end=fiscal,
                reason=parts[0],
                reference=parts[1] if len(parts) > 1 else "",
                amount_cents=_cents(plb, at + 1, required=True, what="provider adjustment amount"),
                line=plb.line,
            )
        )
    if not found:
        raise plb.error("PLB03 (adjustment reason) is missing")
    return found


__all__ = [
    "CLAIM_STATUSES",
    "GROUPS",
    "Adjustment",
    "ClaimPayment",
    "ProviderAdjustment",
    "Remittance",
    "Remittance835",
    "ServicePayment",
    "X12ParseError",
    "read_835",
]
