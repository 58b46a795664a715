"""Files sent with secure messages: the upload rules, encryption at rest and key rotation, and who
may download them (the thread's patient or their guardian, the practice's staff; nobody else)."""

import io
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django_tenants.utils import tenant_context

from portal.models import ProxyLink
from portal.sessions import ACTING_FOR_KEY
from practica.accounts.roles import Role
from practica.asgi import application
from practica.intake.errors import UploadRejected
from practica.messaging import crypto, events, selectors, services
from practica.messaging.errors import MessagingError
from practica.messaging.models import Attachment, Message
from tests.conftest import signed_in_client
from tests.messaging.conftest import Side, patient_headers, run_commit_hooks, staff_headers
from tests.portal.conftest import make_account, portal_client

SECRET = b"%PDF-1.4 potassium 6.1 mmol/L, please call"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"  # re-read by the tenant storage on change
    return tmp_path


def pdf(name: str = "lab results.pdf", content: bytes = SECRET) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")


def _attached_by_ann(side: Side) -> Attachment:
    with tenant_context(side.practice):
        message = services.post_patient_message(side.ann_thread, side.ann.patient, "Here it is", pdf())
        return message.attachments.get()


def test_a_patient_attaches_a_file_from_the_thread_page_and_it_is_stored_encrypted(
    side_a: Side, media_root: Path
) -> None:
    client = portal_client(side_a.ann, side_a.practice)
    url = f"/portal/messages/{side_a.ann_thread.pk}/"
    assert client.post(url, {"body": "My results", "attachment": pdf()}).status_code == 302
    with tenant_context(side_a.practice):
        attachment = Attachment.objects.get(message__thread=side_a.ann_thread)
        assert (attachment.name, attachment.size, attachment.content_type) == (
            "lab results.pdf",
            len(SECRET),
            "application/pdf",
        )
        stored = Path(attachment.file.path)
        raw_name = attachment.name_ciphertext
    # Under the practice's own folder, by a random name; neither the bytes nor the name in clear.
    assert stored.relative_to(media_root).parts[0] == side_a.practice.schema_name
    assert "lab" not in stored.name
    assert b"potassium" not in stored.read_bytes() and b"%PDF" not in stored.read_bytes()
    assert "lab results" not in raw_name
    page = client.get(url)
    assert b"lab results.pdf" in page.content and b"(42\xc2\xa0bytes)" in page.content


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (
            SimpleUploadedFile("report.pdf", b"MZ\x90\x00 a program", "application/pdf"),
            b"PDF, JPEG, PNG or HEIC",
        ),
        (SimpleUploadedFile("big.pdf", SECRET + b"0" * 1024 * 1024, "application/pdf"), b"larger than 1 MB"),
        (SimpleUploadedFile("empty.pdf", b"", "application/pdf"), b"The file is empty."),
    ],
    ids=["disguised-by-extension", "too-large", "empty"],
)
def test_a_refused_file_is_a_form_error_and_nothing_is_stored(
    side_a: Side, settings: Any, upload: SimpleUploadedFile, reason: bytes
) -> None:
    settings.INTAKE_MAX_UPLOAD_BYTES = 1024 * 1024
    url = f"/portal/messages/{side_a.ann_thread.pk}/"
    response = portal_client(side_a.ann, side_a.practice).post(
        url, {"body": "kept draft", "attachment": upload}
    )
    assert response.status_code == 400
    assert reason in response.content and b"kept draft" in response.content
    with tenant_context(side_a.practice):
        assert Message.objects.filter(thread=side_a.ann_thread).count() == 1
        assert not Attachment.objects.exists()


def rejecting_scanner(upload: object) -> None:
    raise UploadRejected("The file did not pass the virus scan.")


def test_the_virus_scan_hook_sees_attachments_and_can_refuse_them(side_a: Side, settings: Any) -> None:
    settings.INTAKE_VIRUS_SCANNER = "tests.messaging.test_attachments.rejecting_scanner"
    with tenant_context(side_a.practice), pytest.raises(MessagingError, match="virus scan"):
        services.add_internal_note(side_a.ann_thread, side_a.nurse, Role.FRONT_DESK, "scan", pdf())


def test_only_the_files_own_name_is_kept(side_a: Side) -> None:
    with tenant_context(side_a.practice):
        upload = pdf("C:\\Users\\ann\\results\x07.pdf")
        message = services.post_patient_message(side_a.ann_thread, side_a.ann.patient, "", upload)
        assert message.body == "" and message.attachments.get().name == "results.pdf"


def test_the_name_takes_the_extension_of_the_type_found_in_the_content(side_a: Side) -> None:
    """A PDF called x.html is stored and downloaded as x.pdf: no browser opens it as a page."""
    with tenant_context(side_a.practice):
        message = services.post_patient_message(side_a.ann_thread, side_a.ann.patient, "", pdf("x.html"))
        attachment = message.attachments.get()
        assert attachment.name == "x.pdf"
        # A row stored before names were fixed is still served under the detected type.
        attachment.name = "older.html"
        attachment.save(update_fields=["name_ciphertext"])
        png = SimpleUploadedFile("photo", b"\x89PNG\r\n\x1a\n" + b"0" * 32, "text/html")
        assert (
            services.post_patient_message(side_a.ann_thread, side_a.ann.patient, "", png)
            .attachments.get()
            .name
            == "photo.png"
        )
    path = f"/portal/messages/{side_a.ann_thread.pk}/attachments/{attachment.pk}/"
    response = portal_client(side_a.ann, side_a.practice).get(path)
    assert response["Content-Disposition"] == 'attachment; filename="older.pdf"'
    assert response["Content-Type"] == "application/pdf"


def test_staff_attach_to_replies_and_notes_and_a_refused_file_is_a_form_error(side_a: Side) -> None:
    client = signed_in_client(side_a.nurse, side_a.practice)
    url = f"/messages/{side_a.ann_thread.pk}/"
    assert client.post(url + "reply/", {"body": "", "attachment": pdf("letter.pdf")}).status_code == 302
    assert client.post(url + "note/", {"body": "scan", "attachment": pdf("scan.pdf")}).status_code == 302
    disguised = SimpleUploadedFile("photo.png", b"<html>not an image</html>", "image/png")
    refused = client.post(url + "reply/", {"body": "see photo", "attachment": disguised})
    assert refused.status_code == 400 and b"PDF, JPEG, PNG or HEIC" in refused.content
    assert b"see photo" in refused.content
    page = client.get(url)
    assert b"letter.pdf" in page.content and b"scan.pdf" in page.content
    with tenant_context(side_a.practice):
        assert sorted(a.name for a in Attachment.objects.all()) == ["letter.pdf", "scan.pdf"]


def test_the_patient_their_guardian_and_staff_download_the_file(side_a: Side) -> None:
    attachment = _attached_by_ann(side_a)
    path = f"messages/{side_a.ann_thread.pk}/attachments/{attachment.pk}/"

    response = portal_client(side_a.ann, side_a.practice).get("/portal/" + path)
    assert response.status_code == 200 and response.content == SECRET
    assert response["Content-Disposition"] == 'attachment; filename="lab results.pdf"'
    assert response["Cache-Control"] == "private, no-store"

    with tenant_context(side_a.practice):
        guardian = make_account("guardian-a@example.com", first_name="Gina")
        ProxyLink.objects.create(account=guardian, patient=side_a.ann.patient)
    as_guardian = portal_client(guardian, side_a.practice)
    session = as_guardian.session
    session[ACTING_FOR_KEY] = str(side_a.ann.patient.pk)
    session.save()
    assert as_guardian.get("/portal/" + path).content == SECRET

    staff_response = signed_in_client(side_a.nurse, side_a.practice).get("/" + path)
    assert staff_response.status_code == 200 and staff_response.content == SECRET


def test_another_patient_and_practice_b_get_404(side_a: Side, side_b: Side) -> None:
    attachment = _attached_by_ann(side_a)
    own = f"messages/{side_a.ann_thread.pk}/attachments/{attachment.pk}/"
    bobs = f"messages/{side_a.bob_thread.pk}/attachments/{attachment.pk}/"  # Bob's thread, Ann's file
    bob = portal_client(side_a.bob, side_a.practice)
    assert bob.get("/portal/" + own).status_code == 404
    assert bob.get("/portal/" + bobs).status_code == 404
    # Practice B's patient and staff, with practice A's ids: nothing there.
    assert portal_client(side_b.ann, side_b.practice).get("/portal/" + own).status_code == 404
    assert signed_in_client(side_b.nurse, side_b.practice).get("/" + own).status_code == 404


def test_an_internal_notes_file_is_never_shown_or_served_to_the_patient(side_a: Side) -> None:
    with tenant_context(side_a.practice):
        note = services.add_internal_note(
            side_a.ann_thread, side_a.nurse, Role.FRONT_DESK, "insurer letter", pdf("insurer.pdf")
        )
        attachment = note.attachments.get()
    path = f"messages/{side_a.ann_thread.pk}/attachments/{attachment.pk}/"
    ann = portal_client(side_a.ann, side_a.practice)
    assert ann.get("/portal/" + path).status_code == 404
    assert b"insurer.pdf" not in ann.get(f"/portal/messages/{side_a.ann_thread.pk}/").content
    assert b"insurer.pdf" not in ann.get(f"/portal/messages/{side_a.ann_thread.pk}/since/").content
    staff_client = signed_in_client(side_a.nurse, side_a.practice)
    assert staff_client.get("/" + path).content == SECRET


def test_payloads_list_name_size_and_each_sides_download_link(side_a: Side) -> None:
    attachment = _attached_by_ann(side_a)
    with tenant_context(side_a.practice):
        message = selectors.messages_for_patient(side_a.ann_thread).last()
        assert message is not None
        patient_view = events.message_payload(message, viewer="patient")["attachments"]
        staff_view = events.message_payload(message, viewer="staff")["attachments"]
    base = f"/messages/{side_a.ann_thread.pk}/attachments/{attachment.pk}/"
    assert patient_view == [
        {
            "id": str(attachment.pk),
            "name": "lab results.pdf",
            "size": len(SECRET),
            "content_type": "application/pdf",
            "url": "/portal" + base,
        }
    ]
    assert staff_view[0]["url"] == base
    since = signed_in_client(side_a.nurse, side_a.practice).get(f"/messages/{side_a.ann_thread.pk}/since/")
    assert since.json()["messages"][-1]["attachments"][0]["url"] == base


def test_key_rotation_reencrypts_attachments_and_keeps_them_readable(side_a: Side) -> None:
    old_key, new_key = crypto.derived_key(settings.SECRET_KEY).decode(), Fernet.generate_key().decode()
    with override_settings(MESSAGE_ENCRYPTION_KEYS=[]):
        attachment = _attached_by_ann(side_a)
    with tenant_context(side_a.practice):
        old_path = Path(attachment.file.path)
        with override_settings(MESSAGE_ENCRYPTION_KEYS=[new_key, old_key]):
            call_command("reencrypt_messages", practice=side_a.practice.slug, stdout=io.StringIO())
            run_commit_hooks()
        rotated = Attachment.objects.get(pk=attachment.pk)
        new_path = Path(rotated.file.path)
        assert Fernet(new_key.encode()).decrypt(new_path.read_bytes()) == SECRET
        assert not old_path.exists()  # the file under the old key is gone
        with override_settings(MESSAGE_ENCRYPTION_KEYS=[new_key]):  # the old key can now go
            assert rotated.read() == SECRET and rotated.name == "lab results.pdf"
    with override_settings(MESSAGE_ENCRYPTION_KEYS=[new_key]):
        path = f"/portal/messages/{side_a.ann_thread.pk}/attachments/{attachment.pk}/"
        assert portal_client(side_a.ann, side_a.practice).get(path).content == SECRET


def test_pushes_and_socket_catch_up_carry_each_sides_links(side_a: Side) -> None:
    thread = side_a.ann_thread
    base = f"/messages/{thread.pk}/attachments/"

    def staff_reply_with_a_file() -> str:
        with tenant_context(side_a.practice):
            message = services.post_staff_reply(thread, side_a.nurse, Role.FRONT_DESK, "", pdf("letter.pdf"))
            run_commit_hooks()
            return str(message.attachments.get().pk)

    async def scenario() -> None:
        staff_socket = await _open(f"/ws/messaging/{thread.pk}/", await _staff(side_a.nurse, side_a.practice))
        patient_socket = await _open(
            f"/ws/messaging/{thread.pk}/", await _patient(side_a.ann, side_a.practice)
        )
        attachment_id = await sync_to_async(staff_reply_with_a_file)()
        pushed = {
            "staff": (await staff_socket.receive_json_from(timeout=1))["message"]["attachments"],
            "patient": (await patient_socket.receive_json_from(timeout=1))["message"]["attachments"],
        }
        assert pushed["staff"][0]["url"] == f"{base}{attachment_id}/"
        assert pushed["patient"][0]["url"] == f"/portal{base}{attachment_id}/"
        assert pushed["patient"][0]["name"] == "letter.pdf" and pushed["patient"][0]["size"] == len(SECRET)
        await staff_socket.send_json_to({"type": "since", "after": 0})
        caught_up = (await staff_socket.receive_json_from(timeout=1))["messages"]
        assert caught_up[-1]["attachments"][0]["url"] == f"{base}{attachment_id}/"
        for socket in (staff_socket, patient_socket):
            await socket.disconnect()

    async_to_sync(scenario)()


async def _open(path: str, headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    assert connected, f"refused with {code}"
    return communicator


_staff = sync_to_async(staff_headers)
_patient = sync_to_async(patient_headers)
