from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator


def npi_check_digit_ok(npi: str) -> bool:
    """NPI check digit: Luhn over the 9 digits prefixed with the card issuer code 80840."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    digits = [int(d) for d in "80840" + npi[:9]]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def validate_npi(value: str) -> None:
    if not npi_check_digit_ok(value):
        raise ValidationError(
            "Enter a valid 10-digit NPI (its check digit does not match).", code="invalid_npi"
        )


def with_check_digit(first_nine: str) -> str:
    """Complete a 9-digit NPI stem with its check digit (used for demo and test data)."""
    for last in "0123456789":
        if npi_check_digit_ok(first_nine + last):
            return first_nine + last
    raise ValueError(first_nine)


# Shapes the 837P requires of provider and address data (the claims scrubber checks them too).
validate_taxonomy = RegexValidator(
    r"^[0-9A-Z]{9}X$",
    "Enter a 10-character provider taxonomy code, e.g. 207Q00000X.",
    code="invalid_taxonomy",
)
validate_state = RegexValidator(r"^[A-Z]{2}$", "Enter the 2-letter state code.", code="invalid_state")
validate_zip = RegexValidator(r"^\d{5}(\d{4})?$", "Enter a 5- or 9-digit ZIP code.", code="invalid_zip")
validate_place_of_service = RegexValidator(r"^\d{2}$", "A place of service is 2 digits.", code="invalid_pos")
