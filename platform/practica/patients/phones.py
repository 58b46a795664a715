"""Phone numbers as E.164 ("+15125550100"): one form in the database, whatever the patient typed.

`PhoneNumberField` is a CharField that stores the E.164 form of any possible number (read as a US
number when typed without a country code) and keeps anything it cannot read as typed, so nothing
is lost: `manage.py list_unnormalised_phones` lists those for staff to correct. It normalises the
values of lookups too, so `Patient.objects.filter(phone="(512) 555-0100")` is an indexed equality
on "+15125550100". Values stay plain strings (unlike django-phonenumber-field's PhoneNumber
objects), so templates, serializers and the outbox read them unchanged; `phonenumbers` (pinned in
pyproject.toml) does the reading."""

from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

DEFAULT_REGION = "US"  # a number typed without a country code is read as a US number


def to_e164(raw: str, region: str = DEFAULT_REGION) -> str | None:
    """The number in E.164 (+15551234567), or None when it is not a possible phone number."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def stored_form(raw: str) -> str:
    """What the database keeps: the E.164 form of a possible number, else the text as typed."""
    raw = raw.strip()
    return (to_e164(raw) or raw) if raw else ""


def is_normalised(value: str) -> bool:
    """True for a blank number or one held in E.164; False for one kept as typed."""
    return not value or to_e164(value) == value


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """The number in E.164, "" for a blank one, or ValidationError with a message to show."""
    raw = raw.strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(
            _("Enter a phone number, e.g. (512) 555-0100 or +44 20 7946 0958."), code="invalid_phone"
        ) from error
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("This is not a valid phone number; check the digits and the country code."),
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class PhoneNumberField(models.CharField):
    """A phone number kept in E.164 when it can be read (see the module's docstring)."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return stored_form(value) if isinstance(value, str) else value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = stored_form(value)
            setattr(model_instance, self.attname, value)  # the saved object reads as the row does
        return value
