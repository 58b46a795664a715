"""Errors raised for X12 that cannot be written or read. Both are meant to be shown to people."""


class X12Error(Exception):
    """Base of the X12 errors; the message is complete and fit for a person."""


class X12WriteError(X12Error):
    """The data cannot be written as X12 (a delimiter in a name, a missing original claim number...).

    `where` says which claim or envelope it is about, `field` which data element."""

    def __init__(self, message: str, *, where: str = "", field: str = "") -> None:
        self.where = where
        self.field = field
        super().__init__(f"{where}: {message}" if where else message)


class X12ParseError(X12Error):
    """The input is not X12 this reader understands. Names the segment and where it is.

    `line` is the line of the file the segment starts on (1 for a file without line breaks),
    `position` the segment's ordinal in the file (ISA is 1) and `segment_id` its id ("" before ISA)."""

    def __init__(self, message: str, *, segment_id: str = "", line: int = 0, position: int = 0) -> None:
        self.reason = message
        self.segment_id = segment_id
        self.line = line
        self.position = position
        if segment_id or line:
            where = f"segment {segment_id} at line {line}" if segment_id else f"line {line}"
            where += f", segment {position}"
            super().__init__(f"{where}: {message}")
        else:
            super().__init__(message)
