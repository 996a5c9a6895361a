"""django-environ reads any word it does not know as False, so OTP_REQUIRED_FOR_MANAGERS=enabled (or
"ture") silently turned the second factor off. A set on/off variable must now say one of the known
words; anything else is refused, naming the variable."""

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from clinicbot.settings import env as cenv

from ._start import PRODUCTION, assert_refused, start


@pytest.mark.parametrize("value", ["enabled", "ture", "required", "2"])
def test_a_bool_typo_is_refused_not_read_as_false(monkeypatch, value):
    monkeypatch.setenv("OTP_REQUIRED_FOR_MANAGERS", value)
    with pytest.raises(ImproperlyConfigured, match="OTP_REQUIRED_FOR_MANAGERS"):
        cenv.get(environ.Env(), "OTP_REQUIRED_FOR_MANAGERS")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), (" Yes ", True), ("ON", True), ("1", True), ("y", True), ("ok", True),
     ("false", False), ("Off", False), ("no", False), ("n", False), ("0", False), ("", False)],
)
def test_the_known_words_are_read_whatever_their_case(monkeypatch, value, expected):
    monkeypatch.setenv("OTP_REQUIRED_FOR_MANAGERS", value)
    assert cenv.get(environ.Env(), "OTP_REQUIRED_FOR_MANAGERS") is expected


def test_an_unset_bool_keeps_its_default(monkeypatch):
    monkeypatch.delenv("WEBHOOK_SIGNATURE_CHECK", raising=False)
    assert cenv.get(environ.Env(), "WEBHOOK_SIGNATURE_CHECK") is True


def test_production_with_a_bool_typo_refuses_to_start():
    assert_refused(start(**PRODUCTION, OTP_REQUIRED_FOR_MANAGERS="enabled"), "OTP_REQUIRED_FOR_MANAGERS")
