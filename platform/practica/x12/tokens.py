"""A small generic X12 tokenizer: delimiters from ISA, segments with their line, envelopes checked.

`read_interchanges(text)` returns the interchanges of a file with their functional groups and
transaction sets, each a tuple of `Segment`s. Anything malformed (no ISA, a broken ISA, a segment id
that is not one, ST without SE, counts or control numbers that disagree, text after IEA) raises
`X12ParseError` naming the segment, its line and its ordinal. Readers of particular transaction
sets (`ack999`, `ack277ca`, `read837`) build on these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from practica.x12.errors import X12ParseError

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_ISA_ELEMENTS = 16


@dataclass(frozen=True)
class Delimiters:
    element: str
    component: str
    repetition: str
    segment: str


@dataclass(frozen=True)
class Segment:
    """One segment. `elements[0]` is the first data element (e.g. NM101); `line` is the line the
    segment starts on, `position` its ordinal in the file (ISA is 1)."""

    id: str
    elements: tuple[str, ...]
    line: int
    position: int
    component_separator: str = ":"

    def element(self, number: int) -> str:
        """Data element `number` (1-based, as X12 numbers them), "" when absent."""
        return self.elements[number - 1] if 0 < number <= len(self.elements) else ""

    def components(self, number: int) -> tuple[str, ...]:
        value = self.element(number)
        return tuple(value.split(self.component_separator)) if value else ()

    def component(self, number: int, part: int) -> str:
        parts = self.components(number)
        return parts[part - 1] if 0 < part <= len(parts) else ""

    def error(self, message: str) -> X12ParseError:
        return X12ParseError(message, segment_id=self.id, line=self.line, position=self.position)

    def required(self, number: int, what: str) -> str:
        value = self.element(number)
        if not value:
            raise self.error(f"{self.id}{number:02d} ({what}) is missing")
        return value


@dataclass(frozen=True)
class TransactionSet:
    """ST..SE inclusive. `version` is ST03, or the group's GS08 when ST03 is absent."""

    code: str
    control_number: str
    version: str
    segments: tuple[Segment, ...]

    @property
    def body(self) -> tuple[Segment, ...]:
        """The segments between ST and SE."""
        return self.segments[1:-1]


@dataclass(frozen=True)
class FunctionalGroup:
    functional_id: str
    sender: str
    receiver: str
    date: str
    time: str
    control_number: str
    version: str
    transactions: tuple[TransactionSet, ...]
    header: Segment


@dataclass(frozen=True)
class Interchange:
    sender_qualifier: str
    sender: str
    receiver_qualifier: str
    receiver: str
    date: str
    time: str
    control_number: str
    usage: str
    delimiters: Delimiters
    groups: tuple[FunctionalGroup, ...]
    header: Segment


def _delimiters(text: str) -> Delimiters:
    start = X12ParseError
    if not text.startswith("ISA"):
        raise start("not X12: the file does not begin with an ISA segment", segment_id="", line=1, position=1)
    if len(text) < 106:
        raise start("ISA is cut short (it has 106 characters)", segment_id="ISA", line=1, position=1)
    element = text[3]
    if element.isalnum() or element.isspace():
        raise start(f"{element!r} cannot be the element separator", segment_id="ISA", line=1, position=1)
    # ISA16 is the character after the 16th element separator and the terminator follows it; this
    # also reads an ISA whose ids were not padded to their fixed width.
    index = -1
    for _ in range(_ISA_ELEMENTS):
        index = text.find(element, index + 1, 200)
        if index < 0:
            raise start("ISA does not have its 16 elements", segment_id="ISA", line=1, position=1)
    component, segment = text[index + 1], text[index + 2]
    isa = text[: index + 2].split(element)
    repetition = isa[11] if len(isa[11]) == 1 and not isa[11].isalnum() else ""
    if len({element, component, segment}) != 3 or component.isalnum() or segment.isalnum():
        raise start(
            "ISA16 and the segment terminator after it are not two distinct delimiters",
            segment_id="ISA",
            line=1,
            position=1,
        )
    return Delimiters(element=element, component=component, repetition=repetition, segment=segment)


def tokenize(text: str) -> tuple[Delimiters, list[Segment]]:
    """The segments of an X12 text, in order; line breaks around segments are ignored."""
    text = text.lstrip("\ufeff \t\r\n")
    delimiters = _delimiters(text)
    chunks = text.split(delimiters.segment)
    if not chunks[-1].strip():
        chunks.pop()  # what follows the last terminator: nothing, or a line break
    segments: list[Segment] = []
    line = 1
    for position, chunk in enumerate(chunks, 1):
        stripped = chunk.lstrip(" \t\r\n")
        seg_line = line + chunk.count("\n", 0, len(chunk) - len(stripped))
        line += chunk.count("\n")
        stripped = stripped.rstrip("\r\n")
        if not stripped:
            raise X12ParseError("empty segment (two terminators in a row)", line=seg_line, position=position)
        elements = stripped.split(delimiters.element)
        seg_id = elements[0]
        if not _SEGMENT_ID.fullmatch(seg_id):
            raise X12ParseError(
                f"{seg_id[:20]!r} is not a segment id (a missing or wrong segment terminator?)",
                segment_id=seg_id[:3],
                line=seg_line,
                position=position,
            )
        segments.append(Segment(seg_id, tuple(elements[1:]), seg_line, position, delimiters.component))
    return delimiters, segments


def read_interchanges(text: str) -> tuple[Interchange, ...]:
    """The interchanges of a file, their envelopes checked (counts and control numbers)."""
    delimiters, segments = tokenize(text)
    interchanges: list[Interchange] = []
    i = 0
    while i < len(segments):
        interchange, i = _interchange(segments, i, delimiters)
        interchanges.append(interchange)
    return tuple(interchanges)


def _expect(segments: list[Segment], i: int, seg_id: str, context: str) -> Segment:
    if i >= len(segments):
        last = segments[-1]
        raise last.error(f"the file ends without {seg_id} ({context})")
    segment = segments[i]
    if segment.id != seg_id:
        raise segment.error(f"expected {seg_id} ({context}), found {segment.id}")
    return segment


def _count(segment: Segment, number: int, actual: int, what: str) -> None:
    given = segment.element(number)
    if not given.isdigit() or int(given) != actual:
        raise segment.error(
            f"{segment.id}{number:02d} says {given or 'nothing'}, but there are {actual} {what}"
        )


def _same(segment: Segment, number: int, expected: str, header: Segment, what: str) -> None:
    given = segment.element(number)
    if given.strip() != expected.strip():
        raise segment.error(
            f"{segment.id}{number:02d} {given!r} does not match {what} {expected!r} "
            f"of {header.id} at line {header.line}"
        )


def _interchange(segments: list[Segment], i: int, delimiters: Delimiters) -> tuple[Interchange, int]:
    isa = _expect(segments, i, "ISA", "an interchange begins")
    if len(isa.elements) != _ISA_ELEMENTS:
        raise isa.error(f"ISA has {len(isa.elements)} elements, not 16")
    control = isa.element(13)
    if not control.isdigit() or len(control) != 9:
        raise isa.error(f"ISA13 {control!r} is not a nine-digit control number")
    i += 1
    groups: list[FunctionalGroup] = []
    while i < len(segments) and segments[i].id == "GS":
        group, i = _group(segments, i)
        groups.append(group)
    iea = _expect(segments, i, "IEA", f"end of the interchange begun at line {isa.line}")
    _count(iea, 1, len(groups), "functional groups")
    _same(iea, 2, control, isa, "the control number")
    interchange = Interchange(
        sender_qualifier=isa.element(5),
        sender=isa.element(6).strip(),
        receiver_qualifier=isa.element(7),
        receiver=isa.element(8).strip(),
        date=isa.element(9),
        time=isa.element(10),
        control_number=control,
        usage=isa.element(15),
        delimiters=delimiters,
        groups=tuple(groups),
        header=isa,
    )
    return interchange, i + 1


def _group(segments: list[Segment], i: int) -> tuple[FunctionalGroup, int]:
    gs = segments[i]
    control = gs.required(6, "group control number")
    version = gs.element(8)
    i += 1
    transactions: list[TransactionSet] = []
    while i < len(segments) and segments[i].id == "ST":
        st = segments[i]
        code = st.required(1, "transaction set identifier")
        st_control = st.required(2, "transaction set control number")
        start = i
        i += 1
        while i < len(segments) and segments[i].id not in ("SE", "ST", "GE", "GS", "IEA", "ISA"):
            i += 1
        se = _expect(segments, i, "SE", f"end of the transaction set begun at line {st.line}")
        _count(se, 1, i - start + 1, "segments from ST to SE")
        _same(se, 2, st_control, st, "the control number")
        transactions.append(
            TransactionSet(
                code=code,
                control_number=st_control,
                version=st.element(3) or version,
                segments=tuple(segments[start : i + 1]),
            )
        )
        i += 1
    ge = _expect(segments, i, "GE", f"end of the functional group begun at line {gs.line}")
    _count(ge, 1, len(transactions), "transaction sets")
    _same(ge, 2, control, gs, "the control number")
    group = FunctionalGroup(
        functional_id=gs.element(1),
        sender=gs.element(2),
        receiver=gs.element(3),
        date=gs.element(4),
        time=gs.element(5),
        control_number=control,
        version=version,
        transactions=tuple(transactions),
        header=gs,
    )
    return group, i + 1
