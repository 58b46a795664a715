"""835s arriving where acknowledgements do: the clearinghouse adapter's inbox. The inbox task
(practica.claims.tasks.import_inbox) hands the adapter here first; each 835 is imported in its own
transaction and marked read, or set aside with the reason when it is not a readable 835. What is
not an 835 is left for the acknowledgement import."""

from practica.claims.clearinghouse import Clearinghouse, ReceivedFile
from practica.remittance.errors import RemittanceError
from practica.remittance.models import RemittanceFile
from practica.remittance.services import ImportResult, import_remittance


def is_835(received: ReceivedFile) -> bool:
    """A file whose first transaction set is an 835 (ST*835 in its first few kilobytes)."""
    head = received.content[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"ISA") or len(head) < 4:
        return False
    separator = head[3:4]
    return b"ST" + separator + b"835" + separator in head


def import_remittances(adapter: Clearinghouse) -> tuple[list[ImportResult], list[str]]:
    results: list[ImportResult] = []
    refused: list[str] = []
    for received in adapter.fetch_acknowledgements():
        if not is_835(received):
            continue
        try:
            results.append(
                import_remittance(received.name, received.content, source=RemittanceFile.Source.INBOX)
            )
        except RemittanceError as exc:
            refused.append(exc.message)
            adapter.set_aside(received, exc.message)
            continue
        adapter.mark_read(received)
    return results, refused
