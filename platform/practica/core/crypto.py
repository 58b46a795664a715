"""Rotatable encryption at rest (Fernet: AES-128-CBC + HMAC-SHA256), shared by every app that
stores secrets: message bodies, practices' Twilio tokens.

A key ring is a list of Fernet keys: the first encrypts, all decrypt, so a new key goes first and
old data is re-encrypted (MultiFernet.rotate) before the old keys are dropped. Without configured
keys (development, tests) one key is derived from SECRET_KEY and a label per use, so a leaked
database alone reveals nothing and the uses never share a key.
"""

import base64
import hashlib
from collections.abc import Iterable
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def derived_key(label: str, secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(label.encode() + secret.encode()).digest())


@lru_cache(maxsize=8)
def _ring(keys: tuple[str, ...], label: str, secret: str) -> MultiFernet:
    fernet_keys = [key.encode() for key in keys] or [derived_key(label, secret)]
    return MultiFernet([Fernet(key) for key in fernet_keys])


def key_ring(configured: Iterable[str], label: str) -> MultiFernet:
    """The MultiFernet for these configured keys (blank entries ignored), built once per key set."""
    keys = tuple(key.strip() for key in configured if key.strip())
    return _ring(keys, label, settings.SECRET_KEY)
