"""Message bodies and attachments are stored encrypted with a rotatable key (Fernet: AES-128-CBC +
HMAC-SHA256).

MESSAGE_ENCRYPTION_KEYS is a comma-separated list of Fernet keys: the first encrypts, all decrypt.
To rotate, put a new key first and keep the old ones after it, then run
`manage.py reencrypt_messages`; once it has finished, the old keys can be dropped.
Without the setting (development and tests) one key is derived from SECRET_KEY, so a leaked
database alone still reveals nothing.
"""

from cryptography.fernet import InvalidToken, MultiFernet
from django.conf import settings

from practica.core import crypto as key_rings

LABEL = "practica-messages:"


def derived_key(secret: str) -> bytes:
    return key_rings.derived_key(LABEL, secret)


def cipher() -> MultiFernet:
    return key_rings.key_ring(settings.MESSAGE_ENCRYPTION_KEYS, LABEL)


def encrypt(text: str) -> str:
    return cipher().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode("ascii")).decode()
    except InvalidToken as error:
        # A key was dropped before every message was re-encrypted: say so, do not show garbage.
        raise ValueError("This message cannot be decrypted with the configured keys.") from error


def reencrypt(token: str) -> str:
    """The same text under the newest key (a no-op in meaning, a new token)."""
    return cipher().rotate(token.encode("ascii")).decode("ascii")


def encrypt_bytes(content: bytes) -> bytes:
    return cipher().encrypt(content)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return cipher().decrypt(token)
    except InvalidToken as error:
        raise ValueError("This file cannot be decrypted with the configured keys.") from error


def reencrypt_bytes(token: bytes) -> bytes:
    return cipher().rotate(token)
