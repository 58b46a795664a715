"""What Practica reads in an X12 file, as JSON-ready data: the reader is chosen by the transaction
set (ST01) and its implementation guide (ST03, else GS08).

Readers for more transaction sets join with
`register("820", "005010X218", "820", read_820_as_json)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from practica.x12.ack277ca import read_277ca
from practica.x12.ack999 import read_999
from practica.x12.errors import X12ParseError
from practica.x12.inquiry270 import read_270
from practica.x12.read271 import assess, read_271
from practica.x12.read837 import as_json, read_837p
from practica.x12.remit835 import read_835
from practica.x12.tokens import read_interchanges


@dataclass(frozen=True)
class Reader:
    transaction_set: str
    version_prefix: str
    kind: str
    read: Callable[[str], Any]


READERS: list[Reader] = []


def register(transaction_set: str, version_prefix: str, kind: str, read: Callable[[str], Any]) -> None:
    """Adds a reader for ST01 `transaction_set` whose version starts with `version_prefix`;
    `read(text)` returns what to print (dataclasses, dates and decimals are fine)."""
    READERS.append(Reader(transaction_set, version_prefix, kind, read))


def _read_837p(text: str) -> Any:
    result = read_837p(text)
    return {"interchanges": result.interchanges, "skipped": result.skipped, "notes": result.notes}


def _read_999(text: str) -> Any:
    ack = read_999(text)
    return {
        "acknowledgement": ack,
        "transaction_sets": [
            {
                "group": group.control_number,
                "control_number": t.control_number,
                "outcome": t.outcome,
                "message": t.message,
            }
            for group in ack.groups
            for t in group.transaction_sets
        ],
    }


def _read_277ca(text: str) -> Any:
    ack = read_277ca(text)
    return {
        "acknowledgement": ack,
        "claims": {
            c.patient_control_number: {
                "outcome": c.outcome,
                "message": c.message,
                "payer_claim_control_number": c.payer_claim_control_number,
            }
            for c in ack.claims
        },
    }


def _read_271(text: str) -> Any:
    response = read_271(text)
    return {"response": response, "eligibility": assess(response)}


def _read_835(text: str) -> Any:
    remit = read_835(text)
    return {
        "remittances": [
            {
                **as_json(r),
                "claims": [{**as_json(c), "status": c.status} for c in r.claims],
            }
            for r in remit.remittances
        ],
        "interchange_control_number": remit.interchange_control_number,
    }


register("837", "005010X222", "837P", _read_837p)
register("835", "005010X221", "835", _read_835)
register("270", "005010X279", "270", read_270)
register("271", "005010X279", "271", _read_271)
register("999", "005010X231", "999", _read_999)
register("277", "005010X214", "277CA", _read_277ca)


def explain(text: str) -> dict[str, Any]:
    """{"kind", "version", "content"} for a file; `X12ParseError` naming the segment and line when
    it is malformed or of a transaction set nobody here reads."""
    interchanges = read_interchanges(text)
    first = None
    for interchange in interchanges:
        for group in interchange.groups:
            for transaction in group.transactions:
                st = transaction.segments[0]
                if first is None:
                    first = transaction
                elif (transaction.code, transaction.version) != (first.code, first.version):
                    raise st.error(
                        f"a {transaction.code} {transaction.version} after a {first.code} {first.version}: "
                        "one kind of transaction set per file"
                    )
    if first is None:
        raise interchanges[0].header.error("the file holds no transaction set")
    for reader in READERS:
        if first.code == reader.transaction_set and first.version.startswith(reader.version_prefix):
            return {"kind": reader.kind, "version": first.version, "content": as_json(reader.read(text))}
    known = ", ".join(f"{r.kind} ({r.version_prefix})" for r in READERS)
    raise first.segments[0].error(
        f"transaction set {first.code} {first.version or '(no version)'} is not one Practica reads ({known})"
    )


__all__ = ["READERS", "Reader", "X12ParseError", "explain", "register"]
