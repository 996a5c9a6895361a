"""Twilio tags some texts START (Advanced Opt-Out). A text we read as a YES stays a YES under that
tag, however it is phrased: the tag only turns texts that are not a YES into an opt-in. The fuzz
test in test_reply_parser_fuzz.py found "1 1" read as YES plain but as START when tagged."""

import pytest

from messaging.grammar import Intent, parse_reply


@pytest.mark.parametrize("body", ["1 1", "yes, please book it", "Yes yes", "YES"])
def test_a_yes_tagged_start_is_still_a_yes(body):
    assert parse_reply(body).intent is Intent.ACCEPT
    assert parse_reply(body, "START").intent is Intent.ACCEPT


@pytest.mark.parametrize("body", ["START", "unstop", "thanks"])
def test_a_start_that_is_not_a_yes_is_an_opt_in(body):
    assert parse_reply(body, "START").intent is Intent.OPT_IN
