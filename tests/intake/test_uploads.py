"""Uploads are judged by their content and size, and pass through the virus-scan hook."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from practica.intake.errors import UploadRejected
from practica.intake.uploads import check_upload, sniff_content_type
from tests.intake.conftest import PDF_BYTES, PNG_BYTES

JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32
HEIC_BYTES = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 32
SCANNED: list[str] = []


def infected(upload: object) -> None:
    SCANNED.append(getattr(upload, "name", ""))
    raise UploadRejected("The file did not pass the virus scan.")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PDF_BYTES, "application/pdf"),
        (PNG_BYTES, "image/png"),
        (JPEG_BYTES, "image/jpeg"),
        (HEIC_BYTES, "image/heic"),
        (b"MZ\x90\x00 an executable", None),
        (b"<html><script>alert(1)</script>", None),
    ],
)
def test_content_type_comes_from_the_bytes(content: bytes, expected: str | None) -> None:
    assert sniff_content_type(content[:16]) == expected


def test_a_renamed_executable_is_refused_and_a_misnamed_pdf_is_taken() -> None:
    with pytest.raises(UploadRejected, match="PDF, JPEG, PNG or HEIC"):
        check_upload(SimpleUploadedFile("card.pdf", b"MZ\x90\x00 program", "application/pdf"))
    assert check_upload(SimpleUploadedFile("card.txt", PNG_BYTES, "text/plain")) == "image/png"


def test_size_limit(settings: object) -> None:
    settings.INTAKE_MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # type: ignore[attr-defined]
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (10 * 1024 * 1024), "application/pdf")
    with pytest.raises(UploadRejected, match="larger than 10 MB"):
        check_upload(big)
    with pytest.raises(UploadRejected, match="empty"):
        check_upload(SimpleUploadedFile("none.pdf", b"", "application/pdf"))


def test_the_virus_scan_hook_is_called_and_can_refuse(settings: object) -> None:
    settings.INTAKE_VIRUS_SCANNER = "tests.intake.test_uploads.infected"  # type: ignore[attr-defined]
    SCANNED.clear()
    with pytest.raises(UploadRejected, match="virus scan"):
        check_upload(SimpleUploadedFile("id.pdf", PDF_BYTES, "application/pdf"))
    assert SCANNED == ["id.pdf"]
