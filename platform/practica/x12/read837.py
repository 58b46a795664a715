"""Reads an 837P (005010X222A1) back into the `claim837` dataclasses: what Practica understands of a
claim file, its own or anyone's.

Other payers' adjudication on a claim to the next payer is read: loops 2320 (SBR, CAS, AMT*D/EAF,
OI), 2330A (NM1*IL) and 2330B (NM1*PR, DTP*573, REF*F8) into `Claim.other_payers`, and 2430 (SVD,
CAS, DTP*573, AMT*EAF) into `ServiceLine.adjudications`. What the dataclasses have no field for
(ambulance and chiropractic segments, paperwork, other payers' secondary identifiers...) is skipped
and listed in `Read837.skipped` with its line, so nothing is dropped silently. A structure that
makes no sense (a claim outside a subscriber or patient, a service line before LX, an HL whose parent
is not there, an amount or date that is not one) raises `X12ParseError` naming the segment and line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from practica.x12.claim837 import (
    Address,
    Adjustment,
    BillingProvider,
    Claim,
    ClaimTransaction,
    Contact,
    Coverage,
    Drug,
    Interchange,
    InterchangeParty,
    LineAdjudication,
    Name,
    OtherPayer,
    Patient,
    Payer,
    Provider,
    Receiver,
    Separators,
    ServiceFacility,
    ServiceLine,
    Submitter,
    Subscriber,
)
from practica.x12.tokens import Interchange as Envelope
from practica.x12.tokens import Segment, TransactionSet, read_interchanges


@dataclass(frozen=True)
class Skipped:
    segment_id: str
    line: int
    position: int
    reason: str


@dataclass(frozen=True)
class Read837:
    """The interchanges of the file (one per functional group), what was skipped, and notes such as
    a CLM02 that is not the sum of the claim's lines (the dataclasses always sum them)."""

    interchanges: tuple[Interchange, ...]
    skipped: tuple[Skipped, ...]
    notes: tuple[str, ...]


def read_837p(text: str) -> Read837:
    envelopes = read_interchanges(text)
    skipped: list[Skipped] = []
    notes: list[str] = []
    interchanges = []
    for envelope in envelopes:
        for group in envelope.groups:
            transactions = []
            for transaction in group.transactions:
                if transaction.code != "837" or not transaction.version.startswith("005010X222"):
                    raise transaction.segments[0].error(
                        f"a {transaction.code} {transaction.version} transaction set, not an 837P"
                    )
                transactions.append(_TransactionReader(transaction, skipped, notes).read())
            if not transactions:
                raise group.header.error("the functional group holds no transaction set")
            created = _datetime(group.header, group.date, group.time)
            interchanges.append(
                Interchange(
                    sender=InterchangeParty(envelope.sender, envelope.sender_qualifier),
                    receiver=InterchangeParty(envelope.receiver, envelope.receiver_qualifier),
                    application_sender=group.sender,
                    application_receiver=group.receiver,
                    control_number=int(envelope.control_number),
                    group_control_number=_number(group.header, 6),
                    created=created,
                    transactions=tuple(transactions),
                    usage="P" if envelope.usage == "P" else "T",
                    acknowledgement_requested=envelope.header.element(14) == "1",
                    separators=_separators(envelope, text),
                )
            )
    if not interchanges:
        raise envelopes[0].header.error("the file holds no functional group")
    return Read837(tuple(interchanges), tuple(skipped), tuple(notes))


def _separators(envelope: Envelope, text: str) -> Separators:
    d = envelope.delimiters
    return Separators(
        element=d.element,
        component=d.component,
        repetition=d.repetition or "^",
        segment=d.segment,
        line_break=(d.segment + "\n") in text[:400],
    )


def _number(segment: Segment, number: int) -> int:
    value = segment.element(number)
    if not value.isdigit():
        raise segment.error(f"{segment.id}{number:02d} {value!r} is not a number")
    return int(value)


def _datetime(segment: Segment, date: str, time: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(date + time[:4], "%Y%m%d%H%M")
    except ValueError:
        raise segment.error(f"{date!r} {time!r} is not a date (CCYYMMDD) and time (HHMM)") from None


def _date(segment: Segment, value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise segment.error(f"{value!r} is not a date (CCYYMMDD)") from None


def _decimal(segment: Segment, number: int, what: str) -> Decimal:
    value = segment.element(number)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise segment.error(f"{segment.id}{number:02d} ({what}) {value!r} is not a number")
    return amount


ADJUSTMENT_GROUPS = ("CO", "PR", "OA", "PI", "CR")


def _adjustments(cas: Segment) -> list[Adjustment]:
    """A CAS segment's adjustments: its group, then up to six reason, amount, quantity triplets."""
    group = cas.element(1)
    if group not in ADJUSTMENT_GROUPS:
        raise cas.error(f"CAS01 {group!r} is not an adjustment group (CO, PR, OA, PI, CR)")
    found = []
    for n in range(2, 20, 3):
        if not cas.element(n):
            continue
        quantity = _decimal(cas, n + 2, "adjustment quantity") if cas.element(n + 2) else None
        found.append(
            Adjustment(group, cas.element(n), _decimal(cas, n + 1, "adjustment amount"), quantity)  # type: ignore[arg-type]
        )
    return found


def _name(nm1: Segment) -> Name:
    if nm1.element(2) == "2":
        return Name.of_organization(nm1.element(3))
    return Name(last=nm1.element(3), first=nm1.element(4), middle=nm1.element(5), suffix=nm1.element(7))


class _Party:
    """An NM1 with the N3/N4/DMG/REF/PRV/PER that follow it, gathered before dataclasses are built."""

    def __init__(self, nm1: Segment) -> None:
        self.nm1 = nm1
        self.n3: Segment | None = None
        self.n4: Segment | None = None
        self.dmg: Segment | None = None
        self.prv: Segment | None = None
        self.per: Segment | None = None
        self.refs: dict[str, str] = {}

    def address(self) -> Address | None:
        if self.n3 is None and self.n4 is None:
            return None
        n3, n4 = self.n3, self.n4
        return Address(
            line1=n3.element(1) if n3 else "",
            line2=n3.element(2) if n3 else "",
            city=n4.element(1) if n4 else "",
            state=n4.element(2) if n4 else "",
            postal_code=n4.element(3) if n4 else "",
            country=n4.element(4) if n4 else "",
        )

    def birth(self) -> tuple[dt.date | None, Any]:
        if self.dmg is None:
            return None, None
        sex = self.dmg.element(3)
        return _date(self.dmg, self.dmg.element(2)), sex if sex in ("F", "M", "U") else None


def _contact(per: Segment | None) -> Contact | None:
    if per is None:
        return None
    numbers: dict[str, str] = {}
    for n in (3, 5, 7):
        if per.element(n):
            numbers.setdefault(per.element(n), per.element(n + 1))
    return Contact(
        name=per.element(2),
        phone=numbers.get("TE", ""),
        phone_extension=numbers.get("EX", ""),
        email=numbers.get("EM", ""),
        fax=numbers.get("FX", ""),
    )


class _TransactionReader:
    def __init__(self, transaction: TransactionSet, skipped: list[Skipped], notes: list[str]) -> None:
        self.t = transaction
        self.skipped = skipped
        self.notes = notes
        self.claims: list[Claim] = []
        self.parties: dict[str, _Party] = {}
        self.party: _Party | None = None
        self.hl_levels: dict[str, str] = {}
        self.level = ""
        self.provider: BillingProvider | None = None
        self.provider_parts: dict[str, _Party] = {}
        self.provider_prv: Segment | None = None
        self.sbr: Segment | None = None
        self.coverage_parts: dict[str, _Party] = {}
        self.coverage: Coverage | None = None
        self.patient: Patient | None = None
        self.pat: Segment | None = None
        self.claim: dict[str, Any] | None = None
        self.claim_segment: Segment | None = None
        self.lines: list[dict[str, Any]] = []
        self.claim_parties: dict[str, _Party] = {}
        self.claim_mode_patient = False
        self.claim_total = Decimal(0)
        # Loops 2320/2330 of the claim being read: each SBR with what follows it.
        self.others: list[dict[str, Any]] = []
        self.mode = "header"  # header, provider, subscriber, patient, claim, other, line, line-other

    def skip(self, segment: Segment, reason: str) -> None:
        self.skipped.append(Skipped(segment.id, segment.line, segment.position, reason))

    def read(self) -> ClaimTransaction:
        body = self.t.body
        if not body or body[0].id != "BHT":
            raise (body[0] if body else self.t.segments[0]).error("an 837 begins with BHT")
        bht = body[0]
        header: dict[str, _Party] = {}
        for segment in body[1:]:
            self.segment(segment, header)
        self.close_claim()
        submitter, receiver = header.get("41"), header.get("40")
        if submitter is None or receiver is None:
            raise self.t.segments[0].error("the submitter (NM1*41) or receiver (NM1*40) is missing")
        if not self.claims:
            raise self.t.segments[-1].error("the transaction set holds no claim")
        return ClaimTransaction(
            control_number=int(self.t.control_number) if self.t.control_number.isdigit() else 0,
            reference=bht.element(3),
            created=_datetime(bht, bht.element(4), bht.element(5)),
            submitter=Submitter(
                name=_name(submitter.nm1),
                identifier=submitter.nm1.element(9),
                contact=_contact(submitter.per) or Contact(name=""),
            ),
            receiver=Receiver(name=receiver.nm1.element(3), identifier=receiver.nm1.element(9)),
            claims=tuple(self.claims),
            kind="RP" if bht.element(6) == "RP" else "CH",
            purpose="18" if bht.element(2) == "18" else "00",
        )

    # -- dispatch ---------------------------------------------------------------------------------

    def segment(self, s: Segment, header: dict[str, _Party]) -> None:
        sid = s.id
        if sid == "HL":
            self.hl(s)
            return
        if sid == "CLM":
            self.start_claim(s)
            return
        if self.mode == "header":
            if sid == "NM1":
                self.party = header[s.element(1)] = _Party(s)
            elif sid == "PER" and self.party is not None:
                self.party.per = s
            else:
                self.skip(s, "not read in the header")
            return
        if self.mode in ("provider", "subscriber", "patient"):
            parts = self.provider_parts if self.mode == "provider" else self.coverage_parts
            if sid == "NM1":
                self.party = parts[s.element(1)] = _Party(s)
            elif sid == "PRV" and self.mode == "provider":
                self.provider_prv = s
            elif sid == "SBR" and self.mode == "subscriber":
                self.sbr = s
            elif sid == "PAT" and self.mode == "patient":
                self.pat = s
            elif sid in ("N3", "N4", "DMG", "PER") and self.party is not None:
                setattr(self.party, sid.lower(), s)
            elif sid == "REF" and self.party is not None:
                self.party.refs[s.element(1)] = s.element(2)
            else:
                self.skip(s, f"not read in the {self.mode} loop")
            return
        if sid == "LX":
            if self.claim is None:
                raise s.error("a service line (LX) outside a claim")
            self.lines.append({"lx": s})
            self.mode = "line"
            self.party = None
            return
        if self.mode == "other":
            self.other_segment(s)
            return
        if self.mode == "line-other":
            self.line_adjudication_segment(s)
            return
        if self.mode == "claim":
            self.claim_segment_(s)
        elif self.mode == "line":
            self.line_segment(s)

    def hl(self, s: Segment) -> None:
        self.close_claim()
        hl_id, parent, code = s.element(1), s.element(2), s.element(3)
        if code not in ("20", "22", "23"):
            raise s.error(f"HL03 {code!r} is not an 837P level (20, 22 or 23)")
        expected_parent = {"20": "", "22": "20", "23": "22"}[code]
        if (self.hl_levels.get(parent, "") if parent else "") != expected_parent:
            raise s.error(
                f"HL02 {parent!r} is not the {expected_parent or 'no'} level this HL {code} hangs under"
            )
        self.hl_levels[hl_id] = code
        self.party = None
        if code == "20":
            self.provider, self.provider_parts, self.provider_prv = None, {}, None
            self.mode = "provider"
        elif code == "22":
            self.coverage, self.coverage_parts, self.sbr, self.patient = None, {}, None, None
            self.mode = "subscriber"
        else:
            self.patient, self.pat = None, None
            self.coverage_parts.pop("QC", None)
            self.mode = "patient"

    # -- the loops above the claim ----------------------------------------------------------------

    def billing_provider(self, at: Segment) -> BillingProvider:
        if self.provider is None:
            party = self.provider_parts.get("85")
            if party is None:
                raise at.error("the claim's billing provider (NM1*85) is missing")
            pay_to = self.provider_parts.get("87")
            kind: Literal["EI", "SY"] = "SY" if "SY" in party.refs and "EI" not in party.refs else "EI"
            self.provider = BillingProvider(
                name=_name(party.nm1),
                npi=party.nm1.element(9),
                address=party.address() or Address("", "", "", ""),
                tax_id=party.refs.get(kind, ""),
                tax_id_kind=kind,
                taxonomy=self.provider_prv.element(3) if self.provider_prv else "",
                contact=_contact(party.per),
                pay_to_address=pay_to.address() if pay_to else None,
            )
        return self.provider

    def coverage_(self, at: Segment) -> Coverage:
        if self.coverage is None:
            sub, payer = self.coverage_parts.get("IL"), self.coverage_parts.get("PR")
            if self.sbr is None or sub is None or payer is None:
                raise at.error("the claim's subscriber loop lacks SBR, NM1*IL or NM1*PR")
            birth, sex = sub.birth()
            sbr = self.sbr
            self.coverage = Coverage(
                payer=Payer(
                    name=payer.nm1.element(3),
                    payer_id=payer.nm1.element(9),
                    address=payer.address(),
                    billing_provider_secondary_id=payer.refs.get("G2", ""),
                ),
                subscriber=Subscriber(
                    name=_name(sub.nm1),
                    member_id=sub.nm1.element(9),
                    birth_date=birth,
                    sex=sex,
                    address=sub.address(),
                ),
                claim_filing_indicator=sbr.element(9),
                payer_responsibility=sbr.element(1) or "P",  # type: ignore[arg-type]
                group_number=sbr.element(3),
                group_name=sbr.element(4),
                insurance_type=sbr.element(5),
            )
        return self.coverage

    def patient_(self) -> Patient | None:
        if self.patient is None:
            party = self.coverage_parts.get("QC")
            if party is None:
                return None
            birth, sex = party.birth()
            if birth is None:
                raise party.nm1.error("the patient has no DMG (birth date and sex)")
            self.patient = Patient(
                name=_name(party.nm1),
                relationship=self.pat.element(1) if self.pat else "",
                birth_date=birth,
                sex=sex or "U",
                address=party.address() or Address("", "", "", ""),
            )
        return self.patient

    # -- the claim --------------------------------------------------------------------------------

    def start_claim(self, s: Segment) -> None:
        self.close_claim()
        if self.mode not in ("subscriber", "patient"):
            raise s.error("a claim (CLM) outside a subscriber or patient loop")
        self.claim_segment = s
        self.claim_mode_patient = self.mode == "patient"
        pos = s.components(5)
        causes = s.components(11)
        self.claim = {
            "patient_control_number": s.element(1),
            "place_of_service": pos[0] if pos else "",
            "frequency": pos[2] if len(pos) > 2 else "1",
            "provider_signature": s.element(6) != "N",
            "assignment": s.element(7) or "A",
            "benefits_assigned": s.element(8) or "Y",
            "release_of_information": s.element(9) or "Y",
            "related_causes": tuple(c for c in causes[:3] if c),
            "accident_state": causes[3] if len(causes) > 3 else "",
            "delay_reason": s.element(20),
            "diagnoses": (),
        }
        self.claim_total = _decimal(s, 2, "total charge")
        self.lines = []
        self.claim_parties = {}
        self.others = []
        self.party = None
        self.mode = "claim"

    def claim_segment_(self, s: Segment) -> None:
        c = self.claim
        assert c is not None
        sid, q = s.id, s.element(1)
        if sid == "DTP" and q in ("431", "439"):
            c["onset_date" if q == "431" else "accident_date"] = _date(s, s.element(3))
        elif sid == "AMT" and q == "F5":
            c["patient_paid"] = _decimal(s, 2, "patient paid")
        elif sid == "REF" and q in ("9F", "G1", "F8", "D9", "EA"):
            field = {
                "9F": "referral_number",
                "G1": "prior_authorization",
                "F8": "original_claim_number",
                "D9": "clearinghouse_trace",
                "EA": "medical_record_number",
            }[q]
            c[field] = s.element(2)
        elif sid == "NTE" and q == "ADD":
            c["note"] = s.element(2)
        elif sid == "HI" and s.component(1, 1) in ("ABK", "BK"):
            c["diagnosis_code_list"] = "ICD-9" if s.component(1, 1) == "BK" else "ICD-10"
            c["diagnoses"] = tuple(s.component(n, 2) for n in range(1, 13) if s.element(n))
        elif sid == "NM1" and q in ("DN", "82", "77"):
            self.party = self.claim_parties[q] = _Party(s)
        elif sid in ("N3", "N4", "PRV") and self.party is not None:
            setattr(self.party, sid.lower(), s)
        elif sid == "SBR":
            self.mode = "other"
            self.other_segment(s)
        else:
            self.skip(s, "not read in the claim loop")

    def other_segment(self, s: Segment) -> None:
        """Loops 2320 (SBR, CAS, AMT, OI), 2330A (NM1*IL) and 2330B (NM1*PR, DTP*573, REF*F8)."""
        sid, q = s.id, s.element(1)
        if sid == "SBR":
            self.others.append({"sbr": s, "cas": [], "parties": {}})
            self.party = None
            return
        other = self.others[-1]
        if sid == "CAS" and self.party is None:
            other["cas"] += _adjustments(s)
        elif sid == "AMT" and q in ("D", "EAF") and self.party is None:
            other[q] = _decimal(s, 2, "other payer amount")
        elif sid == "OI" and self.party is None:
            other["oi"] = s
        elif sid == "NM1" and q in ("IL", "PR"):
            self.party = other["parties"][q] = _Party(s)
        elif sid in ("N3", "N4") and self.party is not None:
            setattr(self.party, sid.lower(), s)
        elif sid == "REF" and self.party is not None:
            self.party.refs[q] = s.element(2)
        elif sid == "DTP" and q == "573" and self.party is not None and self.party.nm1.element(1) == "PR":
            other["paid_on"] = _date(s, s.element(3))
        else:
            self.skip(s, "not read in the other payer loop")

    def other_payer(self, other: dict[str, Any]) -> OtherPayer:
        sbr: Segment = other["sbr"]
        subscriber, payer = other["parties"].get("IL"), other["parties"].get("PR")
        if subscriber is None or payer is None:
            raise sbr.error("the other payer loop (2320) lacks its subscriber (NM1*IL) or payer (NM1*PR)")
        oi: Segment | None = other.get("oi")
        return OtherPayer(
            coverage=Coverage(
                payer=Payer(
                    name=payer.nm1.element(3), payer_id=payer.nm1.element(9), address=payer.address()
                ),
                subscriber=Subscriber(
                    name=_name(subscriber.nm1),
                    member_id=subscriber.nm1.element(9),
                    address=subscriber.address(),
                ),
                claim_filing_indicator=sbr.element(9),
                payer_responsibility=sbr.element(1) or "P",  # type: ignore[arg-type]
                group_number=sbr.element(3),
                group_name=sbr.element(4),
                insurance_type=sbr.element(5),
            ),
            relationship=sbr.element(2) or "18",
            adjustments=tuple(other["cas"]),
            paid=other.get("D"),
            remaining_patient_liability=other.get("EAF"),
            adjudication_date=other.get("paid_on"),
            payer_claim_number=payer.refs.get("F8", ""),
            benefits_assigned=(oi.element(3) if oi else "") or "Y",  # type: ignore[arg-type]
            release_of_information=(oi.element(6) if oi else "") or "Y",  # type: ignore[arg-type]
        )

    def line_adjudication_segment(self, s: Segment) -> None:
        """Loop 2430: SVD, CAS, DTP*573, AMT*EAF (2440's forms are skipped)."""
        line = self.lines[-1]
        sid, q = s.id, s.element(1)
        if sid == "SVD":
            line.setdefault("adjudications", []).append({"svd": s, "cas": []})
            return
        current = line.get("adjudications", [None])[-1]
        if current is None:
            self.skip(s, "line form loop (2440): not read")
        elif sid == "CAS":
            current["cas"] += _adjustments(s)
        elif sid == "DTP" and q == "573":
            current["dtp"] = s
        elif sid == "AMT" and q == "EAF":
            current["EAF"] = _decimal(s, 2, "remaining patient liability")
        else:
            self.skip(s, "not read in the line adjudication loop")

    def line_segment(self, s: Segment) -> None:
        line = self.lines[-1]
        sid, q = s.id, s.element(1)
        if sid == "SV1":
            line["sv1"] = s
        elif sid == "DTP" and q == "472":
            line["dtp"] = s
        elif sid == "REF" and q == "6R":
            line["control_number"] = s.element(2)
        elif sid == "LIN":
            line["lin"] = s
        elif sid == "CTP":
            line["ctp"] = s
        elif sid == "NM1" and q == "82":
            self.party = line["rendering"] = _Party(s)
        elif sid == "PRV" and self.party is not None:
            self.party.prv = s
        elif sid in ("SVD", "CAS", "LQ"):
            self.mode = "line-other"
            self.line_adjudication_segment(s)
        else:
            self.skip(s, "not read in the service line loop")

    def close_claim(self) -> None:
        if self.claim is None or self.claim_segment is None:
            return
        clm = self.claim_segment
        c = self.claim
        self.claim = None
        parties = self.claim_parties
        if "77" in parties:
            f = parties["77"]
            c["service_facility"] = ServiceFacility(
                name=f.nm1.element(3), address=f.address() or Address("", "", "", ""), npi=f.nm1.element(9)
            )
        if "DN" in parties:
            c["referring_provider"] = Provider(_name(parties["DN"].nm1), parties["DN"].nm1.element(9))
        if "82" in parties:
            c["rendering_provider"] = self.provider_of(parties["82"])
        if self.others:
            c["other_payers"] = tuple(self.other_payer(other) for other in self.others)
        lines = tuple(self.service_line(line) for line in self.lines)
        if not lines:
            raise clm.error(f"claim {c['patient_control_number']!r} has no service line")
        patient = self.patient_() if self.claim_mode_patient else None
        if self.claim_mode_patient and patient is None:
            raise clm.error("the claim's patient loop (2000C) has no NM1*QC")
        claim = Claim(
            billing_provider=self.billing_provider(clm),
            coverage=self.coverage_(clm),
            patient=patient,
            lines=lines,
            **c,
        )
        if claim.total_charge != self.claim_total:
            self.notes.append(
                f"claim {claim.patient_control_number!r} (line {clm.line}): CLM02 says {self.claim_total}, "
                f"its lines add up to {claim.total_charge}"
            )
        self.claims.append(claim)
        self.mode = "patient" if self.claim_mode_patient else "subscriber"

    @staticmethod
    def provider_of(party: _Party) -> Provider:
        return Provider(_name(party.nm1), party.nm1.element(9), party.prv.element(3) if party.prv else "")

    def service_line(self, line: dict[str, Any]) -> ServiceLine:
        lx: Segment = line["lx"]
        sv1: Segment | None = line.get("sv1")
        dtp: Segment | None = line.get("dtp")
        if sv1 is None:
            raise lx.error("the service line has no SV1")
        if dtp is None:
            raise lx.error("the service line has no date of service (DTP*472)")
        procedure = sv1.components(1)
        pointers = sv1.components(7)
        if not all(p.isdigit() for p in pointers):
            raise sv1.error(f"SV107 {sv1.element(7)!r} is not diagnosis pointers")
        value = dtp.element(3)
        if dtp.element(2) == "RD8" and "-" in value:
            start, end = value.split("-", 1)
            service_date, service_end = _date(dtp, start), _date(dtp, end)
        else:
            service_date, service_end = _date(dtp, value), None
        drug = None
        if "lin" in line:
            ctp: Segment | None = line.get("ctp")
            drug = Drug(
                ndc=line["lin"].element(3),
                quantity=_decimal(ctp, 4, "drug quantity") if ctp else Decimal(0),
                unit=(ctp.component(5, 1) if ctp else "") or "UN",  # type: ignore[arg-type]
            )
        return ServiceLine(
            procedure_code=procedure[1] if len(procedure) > 1 else "",
            modifiers=tuple(m for m in procedure[2:6] if m),
            description=procedure[6] if len(procedure) > 6 else "",
            charge=_decimal(sv1, 2, "line charge"),
            unit="MJ" if sv1.element(3) == "MJ" else "UN",
            units=_decimal(sv1, 4, "units") if sv1.element(4) else Decimal(1),
            place_of_service=sv1.element(5),
            diagnosis_pointers=tuple(int(p) for p in pointers),
            emergency=sv1.element(9) == "Y",
            service_date=service_date,
            service_date_end=service_end,
            control_number=line.get("control_number", ""),
            drug=drug,
            rendering_provider=self.provider_of(line["rendering"]) if "rendering" in line else None,
            adjudications=tuple(
                self.line_adjudication(a, procedure, sv1) for a in line.get("adjudications", ())
            ),
        )

    @staticmethod
    def line_adjudication(a: dict[str, Any], procedure: tuple[str, ...], sv1: Segment) -> LineAdjudication:
        """A 2430; its procedure and units are left empty when they are the line's own."""
        svd: Segment = a["svd"]
        dtp: Segment | None = a.get("dtp")
        if dtp is None:
            raise svd.error("the line adjudication (2430) has no adjudication date (DTP*573)")
        paid_as = svd.components(3)
        same = [p for p in paid_as[1:6] if p] == [p for p in procedure[1:6] if p]
        units = _decimal(svd, 5, "adjudicated units") if svd.element(5) else None
        line_units = _decimal(sv1, 4, "units") if sv1.element(4) else Decimal(1)
        return LineAdjudication(
            payer_id=svd.element(1),
            paid=_decimal(svd, 2, "paid"),
            adjudication_date=_date(dtp, dtp.element(3)),
            adjustments=tuple(a["cas"]),
            procedure_code="" if same else (paid_as[1] if len(paid_as) > 1 else ""),
            modifiers=() if same else tuple(m for m in paid_as[2:6] if m),
            units=None if units == line_units else units,
            remaining_patient_liability=a.get("EAF"),
        )


def as_json(value: Any) -> Any:
    """Dataclasses, dates and decimals as JSON-ready values (claims gain their total_charge)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: as_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, Claim):
            data["total_charge"] = as_json(value.total_charge)
        return data
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [as_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def claims_at(text: str, transaction_control_number: int | str, position: int) -> tuple[str, ...]:
    """The patient control numbers of the claims a segment of an 837P belongs to, by the position a
    999 gives (IK302: ST is 1): its own claim when the segment is in a claim or line loop, every
    claim beneath it when it is in a billing provider, subscriber or patient loop, all the set's
    claims for the header. Empty when the set or position is not in the file."""
    wanted = int(transaction_control_number)
    for envelope in read_interchanges(text):
        for group in envelope.groups:
            for transaction in group.transactions:
                if transaction.control_number.isdigit() and int(transaction.control_number) == wanted:
                    return _claims_at(transaction.segments, position - 1)
    return ()


def _claims_at(segments: tuple[Segment, ...], index: int) -> tuple[str, ...]:
    if not 0 <= index < len(segments):
        return ()
    parents: dict[str, str] = {}
    claim_hl: list[tuple[str, str]] = []  # (patient control number, HL id it hangs under)
    hl, own_hl, own_claim = "", "", ""
    for i, segment in enumerate(segments):
        if segment.id == "HL":
            hl = segment.element(1)
            parents[hl] = segment.element(2)
            if i <= index:
                own_hl, own_claim = hl, ""
        elif segment.id == "CLM":
            claim_hl.append((segment.element(1), hl))
            if i <= index:
                own_claim = segment.element(1)
    if own_claim:
        return (own_claim,)

    def under(hl_id: str) -> bool:
        while hl_id:
            if hl_id == own_hl:
                return True
            hl_id = parents.get(hl_id, "")
        return False

    return tuple(pcn for pcn, parent in claim_hl if not own_hl or under(parent))
