import pytest
from django.core.exceptions import ValidationError

from practica.scheduling.validators import npi_check_digit_ok, validate_npi, with_check_digit


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1679576722", "1003000126"])
def test_real_format_npis_with_the_right_check_digit_pass(npi: str) -> None:
    assert npi_check_digit_ok(npi)
    validate_npi(npi)


@pytest.mark.parametrize("npi", ["1234567890", "1234567894", "123456789", "12345678930", "12345678a3", ""])
def test_wrong_check_digit_length_or_characters_fail(npi: str) -> None:
    assert not npi_check_digit_ok(npi)
    with pytest.raises(ValidationError, match="check digit"):
        validate_npi(npi)


def test_check_digit_uses_the_80840_prefix() -> None:
    # Plain Luhn over the 10 digits (no prefix) would accept 1234567897 instead.
    assert with_check_digit("123456789") == "1234567893"
    assert not npi_check_digit_ok("1234567897")
