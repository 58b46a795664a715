"""The two validators nobody here wrote: pyx12 (the implementation guides' maps) and x12sdk."""

import io
import logging
from dataclasses import dataclass, field
from decimal import Decimal

import pyx12.params
import pyx12.x12n_document


@dataclass
class Pyx12Result:
    valid: bool
    ack: str
    log: list[str] = field(default_factory=list)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def pyx12_validate(text: str) -> Pyx12Result:
    """pyx12's own verdict (its boolean, the one thing to trust), its 999 and its log for messages."""
    param = pyx12.params.params()
    ack, errors = io.StringIO(), io.StringIO()
    handler = _Collect()
    logger = logging.getLogger("pyx12")
    logger.addHandler(handler)
    try:
        valid = pyx12.x12n_document.x12n_document(
            param=param, src_file=io.StringIO(text), fd_997=ack, fd_html=None, fd_xmldoc=None, fd_json=errors
        )
    finally:
        logger.removeHandler(handler)
    return Pyx12Result(valid=bool(valid), ack=ack.getvalue(), log=handler.lines)


def x12sdk_claims(text: str) -> list[tuple[str, Decimal, int]]:
    """(patient control number, CLM02, number of lines) of every claim x12sdk reads; x12sdk itself
    refuses a claim whose total is not the sum of its lines."""
    from x12sdk.io import X12ModelReader  # import calls load_dotenv(): tests only

    found = []
    with X12ModelReader(text) as reader:
        for model in reader.models():
            for c in model.claims():  # type: ignore[attr-defined]
                found.append((c.patient_control_number, Decimal(c.charge), len(c.service_lines)))
    return found
