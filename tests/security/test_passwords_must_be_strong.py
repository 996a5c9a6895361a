"""Staff passwords: at least 12 characters, not common, not all digits, not like the username."""

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("password", ["short1!", "password1234", "123456789012", "frontdesk-maria"])
def test_weak_passwords_are_refused(password):
    user = User(username="frontdesk-maria", email="maria@clinic.example")
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_a_long_uncommon_passphrase_is_accepted():
    validate_password("violet tractor umbrella 93", User(username="frontdesk-maria"))
