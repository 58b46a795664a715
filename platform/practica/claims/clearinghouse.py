"""How claim files leave a practice and acknowledgements come back: a clearinghouse adapter.

The seam is `Clearinghouse` (send one batch file; fetch the acknowledgement files waiting;
say which were read). Shipped: `FolderClearinghouse`, which puts 837P files in the practice's own
EDI outbox folder and reads 999 and 277CA files from its inbox folder, for a practice whose
clearinghouse (or its SFTP client) picks up and drops files there. An API clearinghouse is one more
class with the same three methods, chosen by `BillingProfile.clearinghouse`.

Folders: `EDI_ROOT/<practice schema>/outbox` and `.../inbox` (the profile's outbox and inbox
paths, when set, name other folders inside the practice's own; nothing outside it is reachable).
"""

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings

from practica.claims.errors import ClaimsError
from practica.claims.models import BillingProfile
from practica.claims.models import Clearinghouse as ClearinghouseKind
from practica.core.tenancy import current_schema


@dataclass(frozen=True)
class BatchFile:
    """An 837P file to send: its name (unique in the practice: it carries the ISA13) and text."""

    name: str
    content: str


@dataclass(frozen=True)
class ReceivedFile:
    """An acknowledgement file as fetched: its name and raw bytes (decoded by whoever reads it)."""

    name: str
    content: bytes


class SendFailed(ClaimsError):
    code = "clearinghouse_send_failed"


class Clearinghouse(Protocol):
    """What submission and acknowledgement import need from a clearinghouse."""

    name: str

    def send(self, batch_file: BatchFile) -> str:
        """Deliver the file; returns where it went (a path, a clearinghouse's id for it).
        Raises SendFailed when it did not go."""
        ...

    def fetch_acknowledgements(self) -> list[ReceivedFile]:
        """The acknowledgement files waiting, oldest first (a file already read may come again:
        importing is idempotent)."""
        ...

    def mark_read(self, received: ReceivedFile) -> None:
        """The file was imported: do not offer it again."""
        ...

    def set_aside(self, received: ReceivedFile, reason: str) -> None:
        """The file could not be imported (`reason` says why): keep it for people, offer it no more."""
        ...


class FolderClearinghouse:
    """Files in folders: 837P out to `outbox`, 999 and 277CA in from `inbox` (moved to
    `inbox/read` once imported, to `inbox/refused` when they could not be)."""

    name = ClearinghouseKind.FOLDER.value

    def __init__(self, outbox: Path, inbox: Path | None = None) -> None:
        self.outbox = outbox
        self.inbox = inbox

    def send(self, batch_file: BatchFile) -> str:
        """Written under a temporary name and renamed, so a reader polling the folder never sees
        half a file; an existing file is never overwritten."""
        target = self.outbox / batch_file.name
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            if target.exists():
                raise SendFailed(f"{target} exists already; it is never overwritten.")
            handle, temporary = tempfile.mkstemp(dir=self.outbox, prefix=".sending-")
            with os.fdopen(handle, "w", encoding="ascii", newline="") as out:
                out.write(batch_file.content)
                out.flush()
                os.fsync(out.fileno())
            os.link(temporary, target)  # fails if the name was taken meanwhile
            os.unlink(temporary)
        except OSError as exc:
            raise SendFailed(f"Could not write {target}: {exc.strerror or exc}.") from None
        return str(target)

    def fetch_acknowledgements(self) -> list[ReceivedFile]:
        if self.inbox is None or not self.inbox.is_dir():
            return []
        files = sorted(
            (p for p in self.inbox.iterdir() if p.is_file() and not p.name.startswith(".")),
            key=lambda p: (p.stat().st_mtime, p.name),
        )
        return [ReceivedFile(name=p.name, content=p.read_bytes()) for p in files]

    def mark_read(self, received: ReceivedFile) -> None:
        self._move(received, "read")

    def set_aside(self, received: ReceivedFile, reason: str) -> None:
        """Into `inbox/refused`, with the reason beside it in `<name>.error.txt`."""
        folder = self._move(received, "refused")
        if folder is not None:
            (folder / f"{received.name}.error.txt").write_text(reason + "\n", encoding="utf-8")

    def _move(self, received: ReceivedFile, into: str) -> Path | None:
        if self.inbox is None:
            return None
        folder = self.inbox / into
        folder.mkdir(exist_ok=True)
        source = self.inbox / received.name
        if source.exists():
            source.replace(folder / received.name)
        return folder


def practice_folder() -> Path:
    """The current practice's own EDI folder under EDI_ROOT."""
    return Path(settings.EDI_ROOT) / current_schema()


def _inside(root: Path, configured: str, default: str) -> Path:
    relative = Path(configured.strip() or default)
    resolved = (root / relative).resolve()
    if relative.is_absolute() or not resolved.is_relative_to(root.resolve()):
        raise ClaimsError(
            f"The EDI folder {configured!r} must be a folder inside the practice's own ({root}).",
            "edi_folder_outside",
        )
    return resolved


def for_practice(profile: BillingProfile) -> Clearinghouse:
    """The adapter the practice's billing profile names."""
    if profile.clearinghouse == ClearinghouseKind.FOLDER:
        root = practice_folder()
        return FolderClearinghouse(
            outbox=_inside(root, profile.outbox_path, "outbox"),
            inbox=_inside(root, profile.inbox_path, "inbox"),
        )
    raise ClaimsError(f"No adapter for the clearinghouse {profile.clearinghouse!r}.", "unknown_clearinghouse")
