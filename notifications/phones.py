"""Phone numbers as E.164, the only form stored or compared."""

import phonenumbers

DEFAULT_REGION = "US"


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """The number in E.164 (+15551234567), or None when it is not a possible phone number."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
