from django.core.exceptions import ValidationError


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
