"""The raw 271 of a check is PHI: stored encrypted with a rotatable key ring (`practica.core.crypto`).

ELIGIBILITY_ENCRYPTION_KEYS is a comma-separated list of Fernet keys, newest first (the first
encrypts, all decrypt); without it (development, tests) a key is derived from SECRET_KEY.
"""

from cryptography.fernet import InvalidToken, MultiFernet
from django.conf import settings

from practica.core import crypto as key_rings

LABEL = "practica-eligibility:"


def cipher() -> MultiFernet:
    return key_rings.key_ring(getattr(settings, "ELIGIBILITY_ENCRYPTION_KEYS", []), LABEL)


def encrypt(text: str) -> str:
    return cipher().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode("ascii")).decode()
    except InvalidToken as error:
        raise ValueError("This response cannot be decrypted with the configured keys.") from error
