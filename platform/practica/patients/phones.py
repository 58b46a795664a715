"""Phone numbers as E.164 ("+15125550100"): one form in the database, whatever the patient typed."""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_REGION = "US"  # a number typed without a country code is read as a US number


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """The number in E.164, "" for a blank one, or ValidationError with a message to show."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(_("Enter a phone number, e.g. (512) 555-0100 or +44 20 7946 0958.")) from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This is not a valid phone number; check the digits and the country code."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
