import pytest
from django.core.exceptions import ValidationError

from messaging.phones import normalize_phone


@pytest.mark.parametrize("raw", ["hello", "12", "+1 555", "", None, "+999999999999999"])
def test_non_numbers_are_rejected_with_a_clear_error(raw):
    with pytest.raises(ValidationError) as exc:
        normalize_phone(raw)
    assert "phone number" in " ".join(exc.value.messages)


@pytest.mark.parametrize("raw", ["(312) 555-0123", "312.555.0123", "+1 312 555 0123", "13125550123"])
def test_us_numbers_are_stored_in_e164(raw):
    assert normalize_phone(raw) == "+13125550123"
