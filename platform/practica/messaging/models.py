"""Secure messages between a patient and the practice's care-team inbox."""

import uuid

from django.conf import settings
from django.db import models

from practica.messaging import crypto


class Thread(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="threads")
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # Staff are shared (public schema) users; the colleague who owns the conversation.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Read receipts, one per side: everything up to this moment has been seen.
    patient_read_at = models.DateTimeField(null=True, blank=True)
    staff_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at"]
        indexes = [models.Index(fields=["status", "-last_message_at"])]

    def __str__(self) -> str:
        return f"Thread {self.pk}"


class Message(models.Model):
    class Kind(models.TextChoices):
        MESSAGE = "message", "Message"
        NOTE = "note", "Internal note"  # staff only, never shown or pushed to the patient

    class Author(models.TextChoices):
        PATIENT = "patient", "Patient"
        STAFF = "staff", "Staff"

    # Increasing ids: a reconnecting client asks for everything after the last one it saw.
    id = models.BigAutoField(primary_key=True)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MESSAGE)
    author = models.CharField(max_length=10, choices=Author.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body_ciphertext = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Message {self.pk}"

    @property
    def body(self) -> str:
        return crypto.decrypt(self.body_ciphertext)

    @body.setter
    def body(self, text: str) -> None:
        self.body_ciphertext = crypto.encrypt(text)

    @property
    def is_note(self) -> bool:
        return self.kind == self.Kind.NOTE


def _attachment_path(instance: "Attachment", filename: str) -> str:
    # A random name under the practice's own folder (the storage prefixes the schema): the
    # patient's file name may say something clinical, and is stored encrypted in the row instead.
    return f"messaging/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file sent with a message. The stored file is the Fernet token of its bytes (same key ring
    as bodies), never publicly addressable: it is served by the authorised thread views only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=_attachment_path)
    name_ciphertext = models.TextField()
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(help_text="Bytes before encryption.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Attachment {self.pk}"

    @property
    def name(self) -> str:
        return crypto.decrypt(self.name_ciphertext)

    @name.setter
    def name(self, text: str) -> None:
        self.name_ciphertext = crypto.encrypt(text)

    def read(self) -> bytes:
        """The file's plain bytes."""
        with self.file.open("rb") as stored:
            return crypto.decrypt_bytes(stored.read())
