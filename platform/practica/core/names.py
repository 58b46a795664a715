"""Splitting the one-string names and addresses of older records into the parts a claim needs.

Used by data migrations (provider display names, location addresses, insurance subscribers) and by
forms that still take a name in one field. Every word of the input lands in some part: nothing is
dropped, and what cannot be placed stays in the first line or the last name."""

import re
from dataclasses import dataclass

_TITLES = {"dr", "dr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "mx", "mx.", "prof", "prof."}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v"}
_CREDENTIALS = {
    "md", "do", "np", "pa", "pa-c", "rn", "fnp", "fnp-c", "dnp", "phd", "dpm", "dds", "dmd", "od",
    "lcsw", "psyd", "dc", "pt", "dpt", "cnm", "crna", "aprn", "facp", "faafp",
}  # fmt: skip
_STATE_ZIP = re.compile(r"^(?P<state>[A-Za-z]{2})\.?\s+(?P<zip>\d{5})(?:-?(?P<plus4>\d{4}))?$")


@dataclass(frozen=True)
class PersonName:
    first: str = ""
    middle: str = ""
    last: str = ""
    suffix: str = ""


def _is_credential(word: str) -> bool:
    return word.lower().strip(".") in _CREDENTIALS or word.lower() in _CREDENTIALS


def split_person_name(text: str, *, drop_credentials: bool = False) -> PersonName:
    """'Ana M. Ortiz Jr.', 'Ortiz, Ana M.' and 'Dr. Ana Ortiz, MD' alike. Titles are dropped (and
    credentials, when asked: a provider's are kept apart)."""
    text = " ".join(text.split())
    if not text:
        return PersonName()
    parts = [part.strip() for part in text.split(",")]
    if drop_credentials:
        while len(parts) > 1 and all(_is_credential(word) for word in parts[-1].split()):
            parts.pop()
    suffix = ""
    if len(parts) > 1 and parts[-1].lower() in _SUFFIXES:
        suffix = parts.pop()
    if len(parts) >= 2:
        # "Last, First Middle"
        last = parts[0]
        given = " ".join(parts[1:]).split()
    else:
        words = parts[0].split()
        while len(words) > 1 and words[0].lower() in _TITLES:
            words.pop(0)
        if drop_credentials:
            while len(words) > 1 and _is_credential(words[-1]):
                words.pop()
        if len(words) > 1 and words[-1].lower() in _SUFFIXES and not suffix:
            suffix = words.pop()
        if len(words) == 1:
            return PersonName(last=words[0], suffix=suffix)
        last = words[-1]
        given = words[:-1]
    while given and given[0].lower() in _TITLES and len(given) > 1:
        given.pop(0)
    if given and given[-1].lower() in _SUFFIXES and not suffix:
        suffix = given.pop()
    first = given[0] if given else ""
    middle = " ".join(given[1:])
    return PersonName(first=first, middle=middle, last=last, suffix=suffix)


@dataclass(frozen=True)
class Address:
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""


def split_address(text: str, *, line_length: int = 55) -> Address:
    """'12 Main St, Suite 4, Springfield, IL 62704-1234' into lines, city, state and ZIP (digits only).
    Without a recognisable 'ST 12345' ending, everything stays in the lines."""
    text = " ".join(text.replace("\n", ", ").split())
    parts = [part.strip() for part in text.split(",") if part.strip()]
    state = postal_code = city = ""
    if parts:
        match = _STATE_ZIP.match(parts[-1])
        if match is None and len(parts[-1].split()) >= 3:
            # "Springfield IL 62704" in one part
            words = parts[-1].split()
            match = _STATE_ZIP.match(" ".join(words[-2:]))
            if match:
                parts[-1:] = [" ".join(words[:-2]), " ".join(words[-2:])]
        if match and len(parts) >= 3:
            state = match["state"].upper()
            postal_code = match["zip"] + (match["plus4"] or "")
            city = parts[-2]
            parts = parts[:-2]
    street = ", ".join(parts)
    if len(parts) >= 2 and len(parts[0]) <= line_length:
        line1, line2 = parts[0], ", ".join(parts[1:])
    else:
        line1, line2 = _wrap(street, line_length)
    return Address(line1=line1, line2=line2, city=city, state=state, postal_code=postal_code)


def _wrap(text: str, width: int) -> tuple[str, str]:
    if len(text) <= width:
        return text, ""
    cut = text.rfind(" ", 0, width + 1)
    cut = cut if cut > 0 else width
    return text[:cut].rstrip(" ,"), text[cut:].strip(" ,")
