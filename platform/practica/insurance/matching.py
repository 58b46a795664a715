"""Which payer row a payer's name, as a patient or an old record gave it, means."""

import re

_NOISE = re.compile(r"[^0-9a-z]+")
_WORDS = {"inc", "co", "company", "corp", "corporation", "llc", "the", "of"}


def payer_key(name: str) -> str:
    """'Aetna, Inc.' and 'AETNA' alike: lower case, letters and digits, company words dropped."""
    words = _NOISE.sub(" ", name.casefold()).split()
    return " ".join(word for word in words if word not in _WORDS)
