"""Secrets at rest (practices' Twilio auth tokens), encrypted with Fernet.

Keys come from settings.NOTIFICATIONS_ENCRYPTION_KEYS: the first encrypts, every one decrypts,
so a new key can be put first and old tokens re-encrypted at leisure (`rotate`)."""

from cryptography.fernet import MultiFernet
from django.conf import settings

from practica.core.crypto import key_ring


def _fernet() -> MultiFernet:
    return key_ring(settings.NOTIFICATIONS_ENCRYPTION_KEYS, "practica.notifications:")


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()
