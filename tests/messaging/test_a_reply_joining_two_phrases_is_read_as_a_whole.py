"""A text may join two or three phrases ("wrong number, stop"). A revocation made of two phrases
must still stop the texts (FCC 24-18: revocation "by any reasonable means"), and "yes, please book
it" is as clear as "yes, book it please". A mix of YES and NO stays unknown for a person."""

import pytest

from messaging.grammar import Intent, parse_reply


@pytest.mark.parametrize("body", [
    "Wrong number, stop", "Stop texting me, wrong number", "Wrong person. Stop", "STOP!! wrong number",
    "Numero equivocado, no me manden mas mensajes",
])
def test_a_wrong_number_joined_to_a_stop_is_an_opt_out_naming_the_wrong_number(body):
    parsed = parse_reply(body)
    assert parsed.intent is Intent.OPT_OUT
    assert parsed.wrong_number


@pytest.mark.parametrize("body", ["no thanks, stop texting me", "Not interested, stop", "No, stop"])
def test_a_decline_joined_to_a_stop_is_an_opt_out(body):
    parsed = parse_reply(body)
    assert parsed.intent is Intent.OPT_OUT
    assert not parsed.wrong_number


@pytest.mark.parametrize("body", [
    "No quiero más mensajes", "no me mandes más mensajes", "dejen de mandarme mensajes", "Cancelar", "Basta",
])
def test_common_spanish_revocations_are_opt_outs(body):
    assert parse_reply(body).intent is Intent.OPT_OUT


@pytest.mark.parametrize("body", ["Yes ok", "ok yes", "Yes sure", "Yeah sure", "Yes, please book it", "yes, book me"])
def test_a_text_made_only_of_yes_phrases_is_a_yes(body):
    assert parse_reply(body).intent is Intent.ACCEPT


@pytest.mark.parametrize("body", ["No me interesa", "no, not today", "Nope, not today", "no thanks, not this time"])
def test_a_text_made_only_of_no_phrases_is_a_no(body):
    assert parse_reply(body).intent is Intent.DECLINE


@pytest.mark.parametrize("body", [
    "yes no", "ok, no", "yes, not today", "1 2", "yes, wrong number", "Thank you", "stop by at 3?",
    "I need to cancel my appointment", "yes if it is in the afternoon",
])
def test_a_text_mixing_meanings_or_saying_something_else_stays_unknown(body):
    assert parse_reply(body).intent is Intent.UNKNOWN
