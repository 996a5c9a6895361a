"""create_api_token "EHR bridge" (a space) or a name over 150 characters printed a ValidationError
traceback; it is a plain command error saying what is wrong, and no user is created."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", ["EHR bridge", "x" * 151])
def test_create_api_token_with_an_unusable_user_name_is_a_clear_error_not_a_traceback(username):
    with pytest.raises(CommandError, match="user ?name|characters"):
        call_command("create_api_token", username)
    assert not get_user_model().objects.filter(username=username).exists()
