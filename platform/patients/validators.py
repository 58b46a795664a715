import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone


def validate_date_of_birth(value: datetime.date) -> None:
    """One rule for the back office, the API and the portal."""
    if value > timezone.localdate():
        raise ValidationError("Date of birth cannot be in the future.")
    if value.year < 1900:
        raise ValidationError("Check the year of birth: it is before 1900.")
