"""django-ratelimit reads AUTO_REPLY_RATE_* only at the first auto-reply, and leniently: "10 per hour"
or "" made the limiter fail closed (every HELP and opt-out confirmation dropped), "10/H" and "3/w" were
counted per second. A bad rate is refused at start, naming the variable, in every mode."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinicbot.settings.env import parse_rate

from ._start import PRODUCTION, assert_refused, assert_started, start


@pytest.mark.parametrize("rate", ["10 per hour", "", "10/H", "3/w"])
def test_a_malformed_auto_reply_rate_refuses_to_start(rate):
    assert_refused(start(**PRODUCTION, AUTO_REPLY_RATE_PER_NUMBER=rate), "AUTO_REPLY_RATE_PER_NUMBER")


def test_a_well_formed_rate_starts():
    assert_started(start(**PRODUCTION, AUTO_REPLY_RATE_PER_NUMBER="20/h", AUTO_REPLY_RATE_GLOBAL="100/15m"))


@pytest.mark.parametrize("rate", ["10 per hour", "", "10/H", "3/w", "10", "10/h ", "5/0m", "ten/h"])
def test_the_global_rate_is_checked_the_same_way(rate):
    with pytest.raises(ImproperlyConfigured, match="AUTO_REPLY_RATE_GLOBAL"):
        parse_rate(rate, "AUTO_REPLY_RATE_GLOBAL")


@pytest.mark.parametrize("rate", ["10/h", "600/m", "1000000/s", "100000/59m", "3/d"])
def test_the_rates_the_docs_and_benchmarks_use_are_accepted(rate):
    assert parse_rate(rate, "AUTO_REPLY_RATE_GLOBAL") == rate
