"""pyx12's view of an 835: the implementation guide's map checked segment by segment. Its
findings are kept with the file and shown on the exceptions screen; a file Practica can read is
never refused for them alone (real payers' files are often imperfect). Its remark-code list is
old, so external remark codes are not checked, and it is given no 999 to write (its 999 builder
fails on 835s)."""

import io
import logging
from typing import Any

MAX_FINDINGS = 50


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.lines) < MAX_FINDINGS:
            self.lines.append(record.getMessage()[:300])


def validate_835(text: str) -> dict[str, Any]:
    """{"checked": True, "valid": bool, "findings": [...]}; valid is pyx12's own boolean (its
    messages come from its log, where it writes them with their line numbers)."""
    import pyx12.params
    import pyx12.x12n_document

    param = pyx12.params.params()
    param.set("exclude_external_codes", "remark_code")
    handler = _Collect()
    logger = logging.getLogger("pyx12")
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        valid = pyx12.x12n_document.x12n_document(
            param=param,
            src_file=io.StringIO(text),
            fd_997=None,
            fd_html=None,
            fd_xmldoc=None,
            fd_json=io.StringIO(),
        )
    except Exception as exc:
        return {"checked": True, "valid": False, "findings": [f"pyx12 could not check the file: {exc}"[:300]]}
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
    findings = handler.lines
    if not valid and not findings:
        findings = ["pyx12 found the file invalid without saying where."]
    return {"checked": True, "valid": bool(valid), "findings": findings}
