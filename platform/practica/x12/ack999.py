"""Reads a 999 implementation acknowledgment (005010X231A1): per transaction set sent, accepted or
rejected, and for a rejection which segment (id, position in the set, loop) and element failed.

AK1 names the functional group acknowledged (GS06), AK2 a transaction set (ST02), IK3 a segment in
error, IK4 an element in it, IK5 the verdict on the set, AK9 the verdict on the group. A set the
999 does not list takes the group's verdict (a 999 may list only the sets in error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from practica.x12.errors import X12ParseError
from practica.x12.tokens import Segment, TransactionSet, read_interchanges

Outcome = Literal["accepted", "rejected"]

#: IK501 / AK901 codes. E is accepted with errors noted; P (AK9 only) partly accepted.
ACCEPTED_CODES = frozenset({"A", "E"})
SET_CODES = {
    "A": "accepted",
    "E": "accepted, with errors noted",
    "M": "rejected: message authentication failed",
    "R": "rejected",
    "W": "rejected: assurance failed",
    "X": "rejected: content after decryption could not be analysed",
}
GROUP_CODES = {**SET_CODES, "P": "partly accepted: at least one transaction set was rejected"}

SEGMENT_ERRORS = {
    "1": "unrecognised segment id",
    "2": "unexpected segment",
    "3": "required segment missing",
    "4": "loop occurs more often than allowed",
    "5": "segment occurs more often than allowed",
    "6": "segment not in the transaction set",
    "7": "segment out of sequence",
    "8": "segment has data element errors",
    "I4": "segment the implementation guide does not use",
    "I6": "segment the implementation guide requires in this situation is missing",
    "I7": "loop occurs fewer times than the implementation guide requires",
    "I8": "segment occurs fewer times than the implementation guide requires",
    "I9": "segment the implementation guide does not use in this situation",
}
ELEMENT_ERRORS = {
    "1": "required element missing",
    "2": "conditionally required element missing",
    "3": "too many elements",
    "4": "element too short",
    "5": "element too long",
    "6": "invalid character in element",
    "7": "invalid code value",
    "8": "invalid date",
    "9": "invalid time",
    "10": "exclusion condition violated",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value not used by the implementation guide",
    "I9": "element the implementation guide requires in this situation is missing",
    "I10": "element the implementation guide does not use",
    "I11": "too few repetitions for the implementation guide",
    "I12": "value does not match the implementation guide's pattern",
    "I13": "element the implementation guide does not use in this situation",
}
SET_ERRORS = {
    "1": "transaction set not supported",
    "2": "transaction set trailer missing",
    "3": "control numbers in header and trailer differ",
    "4": "segment count in the trailer is wrong",
    "5": "one or more segments in error",
    "6": "missing or invalid transaction set identifier",
    "7": "missing or invalid transaction set control number",
    "18": "transaction set not in a functional group",
    "19": "invalid implementation convention reference",
    "23": "transaction set control number not unique within the group",
    "I5": "one or more segments in error (implementation guide)",
    "I6": "implementation convention not supported",
}
GROUP_ERRORS = {
    "1": "functional group not supported",
    "2": "functional group version not supported",
    "3": "functional group trailer missing",
    "4": "group control numbers in header and trailer differ",
    "5": "transaction set count in the trailer is wrong",
    "6": "group control number violates syntax",
    "19": "group control number not unique within the interchange",
}


@dataclass(frozen=True)
class ElementError:
    """IK4: element `position` (and `component`) of the segment, its data element number
    `reference`, the error `code` and `description`, and the `value` found when given."""

    position: int
    component: int | None
    reference: str
    code: str
    description: str
    value: str


@dataclass(frozen=True)
class SegmentError:
    """IK3: `segment_id` at `position` in the transaction set (ST is 1), in `loop`."""

    segment_id: str
    position: int
    loop: str
    code: str
    description: str
    elements: tuple[ElementError, ...]

    def summary(self) -> str:
        where = f"segment {self.segment_id} at position {self.position}"
        if self.loop:
            where += f" (loop {self.loop})"
        parts = [f"{where}: {self.description}"]
        for e in self.elements:
            element = f"{self.segment_id}{e.position:02d}" + (f"-{e.component}" if e.component else "")
            value = f" {e.value!r}" if e.value else ""
            parts.append(f"{element}{value}: {e.description}")
        return "; ".join(parts)


@dataclass(frozen=True)
class TransactionSetAck:
    """AK2..IK5: one transaction set's verdict. `control_number` is the set's ST02 as sent."""

    transaction_set: str
    control_number: str
    version: str
    status: str
    outcome: Outcome
    errors: tuple[str, ...]
    segment_errors: tuple[SegmentError, ...]

    @property
    def message(self) -> str:
        """One sentence for people: the verdict, then each segment in error."""
        text = f"transaction set {self.transaction_set} {self.control_number}: {SET_CODES[self.status]}"
        details = [SET_ERRORS.get(code, f"error {code}") for code in self.errors]
        details += [error.summary() for error in self.segment_errors]
        return text + (" (" + "; ".join(details) + ")" if details else "")


@dataclass(frozen=True)
class GroupAck:
    """AK1..AK9: the verdict on one functional group (`control_number` is its GS06)."""

    functional_id: str
    control_number: str
    version: str
    status: str
    outcome: Outcome | Literal["partial"]
    errors: tuple[str, ...]
    included: int
    received: int
    accepted: int
    transaction_sets: tuple[TransactionSetAck, ...]

    def outcome_of(self, control_number: int | str) -> Outcome:
        """The verdict on transaction set `control_number` (ST02, compared as a number): its own
        when listed, else the group's (a partial group without the set listed means accepted)."""
        found = self.find(control_number)
        if found is not None:
            return found.outcome
        return "rejected" if self.outcome == "rejected" else "accepted"

    def find(self, control_number: int | str) -> TransactionSetAck | None:
        wanted = int(control_number)
        for ack in self.transaction_sets:
            if ack.control_number.isdigit() and int(ack.control_number) == wanted:
                return ack
        return None


@dataclass(frozen=True)
class Ack999:
    """A 999 file: who sent it, its interchange control number, and the groups it acknowledges."""

    sender: str
    receiver: str
    interchange_control_number: str
    date: str
    groups: tuple[GroupAck, ...]

    def group(self, control_number: int | str) -> GroupAck | None:
        wanted = int(control_number)
        for group in self.groups:
            if group.control_number.isdigit() and int(group.control_number) == wanted:
                return group
        return None


def read_999(text: str) -> Ack999:
    """Reads every 999 transaction set of the file. Raises `X12ParseError` for anything else."""
    interchanges = read_interchanges(text)
    groups: list[GroupAck] = []
    for interchange in interchanges:
        for group in interchange.groups:
            for transaction in group.transactions:
                if transaction.code != "999":
                    st = transaction.segments[0]
                    raise st.error(f"a {transaction.code} transaction set, not a 999")
                groups.append(_read_set(transaction))
    if not groups:
        raise interchanges[0].header.error("the file holds no 999 transaction set")
    first = interchanges[0]
    return Ack999(
        sender=first.sender,
        receiver=first.receiver,
        interchange_control_number=first.control_number,
        date=first.date,
        groups=tuple(groups),
    )


def _int(segment: Segment, number: int, what: str) -> int:
    value = segment.required(number, what)
    if not value.isdigit():
        raise segment.error(f"{segment.id}{number:02d} ({what}) {value!r} is not a number")
    return int(value)


def _code(segment: Segment, number: int, known: dict[str, str], what: str) -> str:
    value = segment.required(number, what)
    if value not in known:
        raise segment.error(f"{segment.id}{number:02d} {value!r} is not a {what}")
    return value


class _Set:
    def __init__(self, ak2: Segment) -> None:
        self.ak2 = ak2
        self.segment_errors: list[tuple[Segment, list[ElementError]]] = []


def _read_set(transaction: TransactionSet) -> GroupAck:
    body = transaction.body
    if not body or body[0].id != "AK1":
        at = body[0] if body else transaction.segments[-1]
        raise at.error("a 999 begins with AK1")
    ak1 = body[0]
    sets: list[TransactionSetAck] = []
    current: _Set | None = None
    ak9: Segment | None = None
    for segment in body[1:]:
        if ak9 is not None:
            raise segment.error("nothing may follow AK9 in a 999")
        if segment.id == "AK2":
            if current is not None:
                raise segment.error(f"AK2 before the IK5 of the AK2 at line {current.ak2.line}")
            current = _Set(segment)
        elif segment.id in ("IK3", "IK4", "CTX", "IK5"):
            if current is None:
                raise segment.error(f"{segment.id} outside a transaction set response (no AK2 before it)")
            if segment.id == "IK3":
                current.segment_errors.append((segment, []))
            elif segment.id == "IK4":
                if not current.segment_errors:
                    raise segment.error("IK4 without the IK3 it belongs to")
                current.segment_errors[-1][1].append(_element_error(segment))
            elif segment.id == "IK5":
                sets.append(_set_ack(current, segment))
                current = None
        elif segment.id == "AK9":
            if current is not None:
                raise segment.error(f"AK9 before the IK5 of the AK2 at line {current.ak2.line}")
            ak9 = segment
        else:
            raise segment.error(f"{segment.id} has no place in a 999")
    if ak9 is None:
        raise transaction.segments[-1].error("the 999 has no AK9")
    status = _code(ak9, 1, GROUP_CODES, "functional group acknowledgment code")
    outcome: Outcome | Literal["partial"] = (
        "partial" if status == "P" else "accepted" if status in ACCEPTED_CODES else "rejected"
    )
    return GroupAck(
        functional_id=ak1.required(1, "functional identifier code"),
        control_number=ak1.required(2, "group control number"),
        version=ak1.element(3),
        status=status,
        outcome=outcome,
        errors=tuple(e for e in ak9.elements[4:9] if e),
        included=_int(ak9, 2, "transaction sets included"),
        received=_int(ak9, 3, "transaction sets received"),
        accepted=_int(ak9, 4, "transaction sets accepted"),
        transaction_sets=tuple(sets),
    )


def _element_error(ik4: Segment) -> ElementError:
    position = ik4.components(1)
    if not position or not position[0].isdigit():
        raise ik4.error(f"IK401 {ik4.element(1)!r} is not an element position")
    component = int(position[1]) if len(position) > 1 and position[1].isdigit() else None
    code = ik4.required(3, "element syntax error code")
    return ElementError(
        position=int(position[0]),
        component=component,
        reference=ik4.element(2),
        code=code,
        description=ELEMENT_ERRORS.get(code, f"element error {code}"),
        value=ik4.element(4),
    )


def _set_ack(current: _Set, ik5: Segment) -> TransactionSetAck:
    ak2 = current.ak2
    status = _code(ik5, 1, SET_CODES, "transaction set acknowledgment code")
    segment_errors = []
    for ik3, elements in current.segment_errors:
        code = ik3.element(4)
        segment_errors.append(
            SegmentError(
                segment_id=ik3.required(1, "segment id in error"),
                position=_int(ik3, 2, "segment position"),
                loop=ik3.element(3),
                code=code,
                description=SEGMENT_ERRORS.get(code, f"segment error {code}" if code else "error in segment"),
                elements=tuple(elements),
            )
        )
    return TransactionSetAck(
        transaction_set=ak2.required(1, "transaction set identifier"),
        control_number=ak2.required(2, "transaction set control number"),
        version=ak2.element(3),
        status=status,
        outcome="accepted" if status in ACCEPTED_CODES else "rejected",
        errors=tuple(e for e in ik5.elements[1:6] if e),
        segment_errors=tuple(segment_errors),
    )


__all__ = [
    "Ack999",
    "ElementError",
    "GroupAck",
    "SegmentError",
    "TransactionSetAck",
    "X12ParseError",
    "read_999",
]
