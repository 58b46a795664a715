"""What an uploaded document may be: checked by its first bytes, never by its name."""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from practica.intake.errors import UploadRejected

# Content type by magic bytes. HEIC (iPhone photos) is an ISO box: "ftyp" then a HEIF brand.
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")
TYPE_NAMES = "PDF, JPEG, PNG or HEIC"
# The one extension each accepted type is stored and downloaded with.
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "image/heic": "heic"}


def sniff_content_type(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image/heic"
    return None


def extension_for(content_type: str) -> str:
    return EXTENSIONS.get(content_type, "bin")


def name_for_type(name: str, content_type: str) -> str:
    """`name` with the extension of the type found in the content instead of the client's own: a
    PDF called `x.html` is `x.pdf`, so nothing opens it as a web page (`scan` -> `scan.pdf`)."""
    stem, dot, suffix = name.rpartition(".")
    if dot and stem.strip(". ") and len(suffix) <= 10 and suffix.isalnum():
        name = stem
    return f"{name.rstrip('. ') or 'file'}.{extension_for(content_type)}"


def max_upload_bytes() -> int:
    return int(settings.INTAKE_MAX_UPLOAD_BYTES)


def no_virus_scan(upload: UploadedFile) -> None:
    """The default scanner: scans nothing. Point INTAKE_VIRUS_SCANNER at a real one (e.g. a ClamAV
    client) in production; it should raise UploadRejected for an infected file."""


def check_upload(upload: UploadedFile) -> str:
    """The file's real content type, or UploadRejected with a message the patient can act on."""
    size = upload.size or 0
    if size == 0:
        raise UploadRejected(_("The file is empty."))
    if size > max_upload_bytes():
        limit_mb = max_upload_bytes() // (1024 * 1024)
        raise UploadRejected(_("The file is larger than %(limit)s MB.") % {"limit": limit_mb})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise UploadRejected(_("Please upload a %(types)s file.") % {"types": TYPE_NAMES})
    import_string(settings.INTAKE_VIRUS_SCANNER)(upload)
    upload.seek(0)
    return content_type
