import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def validate_date_of_birth(value: datetime.date) -> None:
    """One rule for the back office, the API and the portal."""
    if value > timezone.localdate():
        raise ValidationError(_("Date of birth cannot be in the future."))
    if value.year < 1900:
        raise ValidationError(_("Check the year of birth: it is before 1900."))
