"""An eligibility inquiry, 270 (005010X279A1), as frozen dataclasses, and `write_270` turning one
into X12 text.

One inquiry asks one payer (loop 2100A), for one provider (2100B, by NPI), about one person: the
subscriber (2000C/2100C) or, when the patient is someone on the subscriber's policy, the subscriber
by member id and the patient as a dependent (2000D/2100D). The service types asked about are EQ
segments: the general health-plan code "30" and, say, "98" for a professional office visit.

The writer refuses what X12 cannot carry (delimiters or non-ASCII in text, an NPI that is not ten
digits, an unknown shape of service type code) with an `X12WriteError` naming the element.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from practica.x12.claim837 import InterchangeParty, Separators
from practica.x12.errors import X12ParseError, X12WriteError
from practica.x12.tokens import Interchange, Segment, read_interchanges
from practica.x12.write837 import _Writer

VERSION = "005010X279A1"
#: EQ01: the general health benefit plan coverage, asked in every inquiry.
GENERAL_SERVICE_TYPE = "30"
_SERVICE_TYPE = re.compile(r"[A-Z0-9]{1,2}")
_MEMBER_ID = re.compile(r"[A-Za-z0-9-]{2,80}")


@dataclass(frozen=True)
class Person:
    """NM103-NM107 with DMG: the subscriber's or the dependent's name, birth date and sex
    (F, M or U: U is not sent). `member_id` is NM109 (qualifier MI); a dependent has none."""

    last: str
    first: str = ""
    middle: str = ""
    suffix: str = ""
    birth_date: dt.date | None = None
    sex: Literal["F", "M", "U"] = "U"
    member_id: str = ""


@dataclass(frozen=True)
class InformationReceiver:
    """Loop 2100B: the provider asking, by NPI (NM108 XX). `organization` picks NM102 (2) over a
    person (1, with `first`)."""

    npi: str
    last: str
    first: str = ""
    organization: bool = True


@dataclass(frozen=True)
class EligibilityInquiry:
    """One 270 interchange (one ST/SE) about one person.

    `reference` is BHT03 (the submitter's own id for the inquiry), `trace_number` TRN02 echoed in
    the 271 (how a response is matched to its request) and `trace_originator` TRN03 (10
    characters: "1" then the submitter's EIN, or "9" then an id of its own).
    `service_types` are EQ01 codes, `service_date` DTP*291 (empty: the payer's today)."""

    sender: InterchangeParty
    receiver: InterchangeParty
    application_sender: str
    application_receiver: str
    control_number: int
    created: dt.datetime
    reference: str
    payer_name: str
    payer_id: str
    provider: InformationReceiver
    subscriber: Person
    trace_number: str
    trace_originator: str
    service_types: tuple[str, ...] = (GENERAL_SERVICE_TYPE,)
    dependent: Person | None = None
    service_date: dt.date | None = None
    usage: Literal["T", "P"] = "T"
    separators: Separators = field(default_factory=Separators)


def write_270(inquiry: EligibilityInquiry) -> str:
    """The inquiry as X12 text. Raises `X12WriteError` for data X12 cannot carry."""
    return _InquiryWriter(inquiry.separators).inquiry(inquiry)


class _InquiryWriter(_Writer):
    def inquiry(self, q: EligibilityInquiry) -> str:
        self.where = f"eligibility inquiry {q.reference or q.control_number}"
        if not 1 <= q.control_number <= 999_999_999:
            raise self.fail(f"{q.control_number} is not 1 to 999999999", "ISA13 control number")
        if not q.service_types:
            raise self.fail("ask about at least one service type", "EQ01")
        e = self.sep.element
        isa = e.join(
            (
                "ISA",
                "00",
                " " * 10,
                "00",
                " " * 10,
                self.text(q.sender.qualifier, "ISA05 sender id qualifier", 2, 2),
                self.text(q.sender.identifier, "ISA06 sender id", 15).ljust(15),
                self.text(q.receiver.qualifier, "ISA07 receiver id qualifier", 2, 2),
                self.text(q.receiver.identifier, "ISA08 receiver id", 15).ljust(15),
                q.created.strftime("%y%m%d"),
                q.created.strftime("%H%M"),
                self.sep.repetition,
                "00501",
                f"{q.control_number:09d}",
                "0",
                q.usage,
                self.sep.component,
            )
        )
        self.segments.append(isa)
        group = str(q.control_number)
        self.seg(
            "GS",
            "HS",
            self.text(q.application_sender, "GS02 application sender", 15, 2),
            self.text(q.application_receiver, "GS03 application receiver", 15, 2),
            self.date(q.created),
            q.created.strftime("%H%M"),
            group,
            "X",
            VERSION,
        )
        start = len(self.segments)
        control = f"{q.control_number:04d}"
        self.seg("ST", "270", control, VERSION)
        self.seg(
            "BHT",
            "0022",
            "13",
            self.text(q.reference, "BHT03 reference", 50),
            self.date(q.created),
            q.created.strftime("%H%M"),
        )
        self.seg("HL", "1", "", "20", "1")
        self.seg(
            "NM1",
            "PR",
            "2",
            self.text(q.payer_name, "NM103 payer name", 60),
            "",
            "",
            "",
            "",
            "PI",
            self.text(q.payer_id, "NM109 payer id", 80, 2),
        )
        self.seg("HL", "2", "1", "21", "1")
        provider = q.provider
        self.seg(
            "NM1",
            "1P",
            "2" if provider.organization else "1",
            self.text(provider.last, "NM103 provider name", 60),
            ""
            if provider.organization
            else self.text(provider.first, "NM104 provider first name", 35, required=False),
            "",
            "",
            "",
            "XX",
            self.npi(provider.npi, "NM109 provider NPI"),
        )
        dependent = q.dependent
        self.seg("HL", "3", "2", "22", "1" if dependent else "0")
        if dependent is None:
            self._trace(q)
        subscriber = q.subscriber
        member_id = self.code(
            subscriber.member_id, "NM109 member id", _MEMBER_ID, "a member id (letters, digits, dashes)"
        )
        if dependent is None:
            self._name("IL", subscriber, member_id, "subscriber")
            self._details(q, subscriber, "subscriber")
        else:
            self._name("IL", subscriber, member_id, "subscriber", with_name=bool(subscriber.last))
            self.seg("HL", "4", "3", "23", "0")
            self._trace(q)
            self._name("03", dependent, "", "dependent")
            self._details(q, dependent, "dependent")
        count = len(self.segments) - start + 1
        self.seg("SE", str(count), control)
        self.seg("GE", "1", group)
        self.seg("IEA", "1", f"{q.control_number:09d}")
        return self._terminator.join(self.segments) + self._terminator

    def _trace(self, q: EligibilityInquiry) -> None:
        self.seg(
            "TRN",
            "1",
            self.text(q.trace_number, "TRN02 trace number", 50),
            self.code(
                q.trace_originator,
                "TRN03 trace originator",
                re.compile(r"[19][A-Za-z0-9]{9}"),
                "ten characters starting with 1 or 9",
            ),
        )

    def _name(self, entity: str, person: Person, member_id: str, who: str, with_name: bool = True) -> None:
        if with_name:
            last = self.text(person.last, f"NM103 {who} last name", 60)
            first = self.text(person.first, f"NM104 {who} first name", 35, required=False)
            middle = self.text(person.middle, f"NM105 {who} middle name", 25, required=False)
            suffix = self.text(person.suffix, f"NM107 {who} suffix", 10, required=False)
        else:
            last = first = middle = suffix = ""
        self.seg("NM1", entity, "1", last, first, middle, "", suffix, "MI" if member_id else "", member_id)

    def _details(self, q: EligibilityInquiry, person: Person, who: str) -> None:
        if person.birth_date is not None:
            self.seg("DMG", "D8", self.date(person.birth_date), "" if person.sex == "U" else person.sex)
        if q.service_date is not None:
            self.seg("DTP", "291", "D8", self.date(q.service_date))
        seen: set[str] = set()
        for code in q.service_types:
            code = self.code(
                code, "EQ01 service type", _SERVICE_TYPE, "a service type code (one or two letters or digits)"
            )
            if code not in seen:
                seen.add(code)
                self.seg("EQ", code)


def read_270(text: str) -> EligibilityInquiry:
    """The first 270 of a file back as an `EligibilityInquiry` (what `explain_x12` shows). Raises
    `X12ParseError` naming the segment for a file that is not one."""
    for interchange in read_interchanges(text):
        for group in interchange.groups:
            for transaction in group.transactions:
                st = transaction.segments[0]
                if transaction.code != "270":
                    raise st.error(f"this is a {transaction.code}, not a 270 eligibility inquiry")
                return _read(interchange, group.header, transaction.body)
    raise X12ParseError("the file holds no transaction set", segment_id="ISA", line=1, position=1)


def _read(interchange: Interchange, gs: Segment, body: tuple[Segment, ...]) -> EligibilityInquiry:
    level = ""
    values: dict[str, Any] = {"service_types": [], "trace_number": "", "trace_originator": ""}
    people: dict[str, dict[str, Any]] = {}
    bht = body[0] if body and body[0].id == "BHT" else None
    if bht is None:
        raise (body[0] if body else gs).error("a 270 begins with BHT after ST")
    for segment in body[1:]:
        if segment.id == "HL":
            level = segment.element(3)
        elif segment.id == "NM1" and level == "20":
            values["payer_name"], values["payer_id"] = segment.element(3), segment.element(9)
        elif segment.id == "NM1" and level == "21":
            values["provider"] = InformationReceiver(
                npi=segment.element(9),
                last=segment.element(3),
                first=segment.element(4),
                organization=segment.element(2) == "2",
            )
        elif segment.id in ("NM1", "DMG", "TRN", "DTP", "EQ") and level in ("22", "23"):
            person = people.setdefault(level, {"last": ""})
            if segment.id == "NM1":
                person.update(
                    last=segment.element(3),
                    first=segment.element(4),
                    middle=segment.element(5),
                    suffix=segment.element(7),
                    member_id=segment.element(9),
                )
            elif segment.id == "DMG" and segment.element(2):
                person["birth_date"] = _date(segment, segment.element(2))
                person["sex"] = segment.element(3) or "U"
            elif segment.id == "TRN":
                values["trace_number"], values["trace_originator"] = segment.element(2), segment.element(3)
            elif segment.id == "DTP" and segment.element(1) == "291":
                values["service_date"] = _date(segment, segment.element(3)[:8])
            elif segment.id == "EQ":
                sep = interchange.delimiters.repetition or "^"
                values["service_types"].extend(t for t in segment.element(1).split(sep) if t)
    if "22" not in people:
        raise (body[-1] if body else gs).error("the 270 has no subscriber loop (HL*22 with NM1*IL)")
    created = f"{gs.element(4)}{gs.element(5)[:4]}"
    try:
        when = dt.datetime.strptime(created, "%Y%m%d%H%M")
    except ValueError:
        raise gs.error(f"GS04/GS05 {created!r} is not a date and time") from None
    return EligibilityInquiry(
        sender=InterchangeParty(interchange.sender, interchange.sender_qualifier),
        receiver=InterchangeParty(interchange.receiver, interchange.receiver_qualifier),
        application_sender=gs.element(2),
        application_receiver=gs.element(3),
        control_number=int(interchange.control_number),
        created=when,
        reference=bht.element(3),
        payer_name=values.get("payer_name", ""),
        payer_id=values.get("payer_id", ""),
        provider=values.get("provider") or InformationReceiver(npi="", last=""),
        subscriber=Person(**people["22"]),
        dependent=Person(**people["23"]) if "23" in people else None,
        trace_number=values["trace_number"],
        trace_originator=values["trace_originator"],
        service_types=tuple(values["service_types"]),
        service_date=values.get("service_date"),
        usage="P" if interchange.usage == "P" else "T",
        separators=Separators(
            element=interchange.delimiters.element,
            component=interchange.delimiters.component,
            repetition=interchange.delimiters.repetition or "^",
            segment=interchange.delimiters.segment,
        ),
    )


def _date(segment: Segment, value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise segment.error(f"{value!r} is not a date (CCYYMMDD)") from None


def trace_originator(ein: str) -> str:
    """TRN03 from the practice's EIN ("1" + nine digits), or "9" + nine zeros without one."""
    digits = re.sub(r"\D", "", ein or "")
    return "1" + digits if len(digits) == 9 else "9000000000"


__all__ = [
    "GENERAL_SERVICE_TYPE",
    "VERSION",
    "EligibilityInquiry",
    "InformationReceiver",
    "Person",
    "X12WriteError",
    "read_270",
    "trace_originator",
    "write_270",
]
