"""Message bodies are stored encrypted with a rotatable key (Fernet: AES-128-CBC + HMAC-SHA256).

MESSAGE_ENCRYPTION_KEYS is a comma-separated list of Fernet keys: the first encrypts, all decrypt.
To rotate, put a new key first and keep the old ones after it, then run
`manage.py reencrypt_messages`; once it has finished, the old keys can be dropped.
Without the setting (development and tests) one key is derived from SECRET_KEY, so a leaked
database alone still reveals nothing.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def derived_key(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(b"practica-messages:" + secret.encode()).digest())


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...], secret: str) -> MultiFernet:
    fernet_keys = [key.encode() for key in keys] or [derived_key(secret)]
    return MultiFernet([Fernet(key) for key in fernet_keys])


def cipher() -> MultiFernet:
    keys = tuple(key.strip() for key in settings.MESSAGE_ENCRYPTION_KEYS if key.strip())
    return _cipher(keys, settings.SECRET_KEY)


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
