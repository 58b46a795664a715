"""Secrets at rest (practices' Twilio auth tokens), encrypted with Fernet.

Keys come from settings.NOTIFICATIONS_ENCRYPTION_KEYS: the first encrypts, every one decrypts,
so a new key can be put first and old tokens re-encrypted at leisure (`rotate`)."""

import base64
import hashlib

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    keys = list(settings.NOTIFICATIONS_ENCRYPTION_KEYS)
    if not keys:
        # No key configured: derive one from SECRET_KEY, so development needs no extra setting.
        digest = hashlib.sha256(f"practica.notifications:{settings.SECRET_KEY}".encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()
