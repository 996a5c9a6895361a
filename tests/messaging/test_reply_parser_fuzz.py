"""Property-based fuzzing of the SMS reply grammar (messaging.grammar).

Each property runs thousands of generated bodies: arbitrary unicode (lone surrogates and
control characters included, up to the 1,600-character concatenated-SMS limit) and "keyword
soup" built from the grammar's own vocabulary, so the interesting boundaries are hit often.
"""

import re
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from messaging.grammar import (
    ACCEPT_PHRASES,
    DECLINE_PHRASES,
    HELP_PHRASES,
    KNOWN_TOKENS,
    OPT_IN_PHRASES,
    OPT_OUT_KEYWORDS,
    OPT_OUT_PHRASES,
    STRONG_OPT_OUT_KEYWORDS,
    Intent,
    ParsedReply,
    normalize,
    parse_reply,
)

# The crash-freedom properties run thousands of cases; the semantic ones fewer, to keep
# `make test` (run twice in CI) quick.
FUZZ_HEAVY = settings(
    max_examples=3000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FUZZ = settings(
    max_examples=400,
    deadline=None,
    database=None,  # keep no example database in the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

ACCEPT_WORDS = frozenset({"yes", "y", "yep", "yup", "yeah", "ya", "sure", "ok", "okay", "si", "accept"})
DECLINE_WORDS = frozenset({"no", "n", "nope", "nah", "decline"})
ELONGATED_YES_OR_NO = re.compile(r"y+e+s+|no+")

# Any unicode at all, lone surrogates (Cs) included.
any_char = st.characters(exclude_categories=())
any_body = st.text(alphabet=any_char, max_size=1600)

# Characters that vanish under normalize(): punctuation, symbols, separators, controls, emoji.
_decor_char = st.characters(categories=["P", "S", "Z", "Cc", "Cf"]).filter(lambda c: normalize(c) == "")
decoration = st.text(alphabet=_decor_char, max_size=6)
separator = st.text(alphabet=_decor_char, min_size=1, max_size=4).filter(
    lambda s: normalize(f"a{s}b") == "a b"
)

# Words from the grammar plus near misses and junk, for keyword-soup messages.
_NEAR_MISSES = [
    "yesterday", "nobody", "stopping", "dont", "cancel", "my", "appointment", "not", "wrong", "number",
    "me", "text", "start", "maybe", "times", "12", "11", "0", "3", "later", "tomorrow", "si", "no",
]
soup_word = st.one_of(
    st.sampled_from(sorted(KNOWN_TOKENS | set(_NEAR_MISSES))),
    st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=8),
)


def _cased(word: str, upper: list[bool]) -> str:
    return "".join(ch.upper() if flag else ch for ch, flag in zip(word, upper, strict=False))


@st.composite
def soup(draw, max_words: int = 8) -> str:
    """Vocabulary words in random case, glued with punctuation, emoji and odd whitespace."""
    words = draw(st.lists(soup_word, min_size=1, max_size=max_words))
    parts = [draw(decoration)]
    for index, word in enumerate(words):
        if index:
            parts.append(draw(st.sampled_from([" ", "  ", ", ", "! ", "\n", "\u00a0", " 👍 ", "..."])))
        parts.append(_cased(word, draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))))
    parts.append(draw(decoration))
    return "".join(parts)


bodies = st.one_of(any_body, soup(), st.text(max_size=40))

SOUP_VOCABULARY = sorted(ACCEPT_WORDS | DECLINE_WORDS | OPT_OUT_KEYWORDS | {
    "please", "pls", "plz", "thanks", "thank", "you", "thx", "ty", "now", "help", "info", "ayuda",
    "por", "favor", "gracias", "sorry",
})
ALL_PHRASES = sorted(OPT_OUT_PHRASES | OPT_IN_PHRASES | HELP_PHRASES | DECLINE_PHRASES | ACCEPT_PHRASES)


def canonical(token: str) -> str:
    if ELONGATED_YES_OR_NO.fullmatch(token):
        return "yes" if token.startswith("y") else "no"
    return token


# --------------------------------------------------------------------------- totality


@FUZZ_HEAVY
@given(bodies)
def test_parse_reply_never_raises_and_always_returns_an_intent(body):
    reply = parse_reply(body)
    assert isinstance(reply, ParsedReply)
    assert isinstance(reply.intent, Intent)
    assert reply.normalized == normalize(body)


@FUZZ_HEAVY
@given(bodies, st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["STOP", "HELP", "START", "stop"])))
def test_parse_reply_never_raises_whatever_the_opt_out_type(body, opt_out_type):
    assert isinstance(parse_reply(body, opt_out_type).intent, Intent)


# --------------------------------------------------------------------------- normalization


@FUZZ
@given(bodies)
def test_normalized_text_is_only_letters_digits_and_single_inner_spaces(body):
    text = normalize(body)
    assert text == text.strip()
    assert "  " not in text
    assert all(ch == " " or ch.isalpha() or ch in string.digits for ch in text)


@FUZZ
@given(bodies)
def test_normalizing_twice_changes_nothing(body):
    once = normalize(body)
    assert normalize(once) == once


@FUZZ
@given(bodies, decoration, decoration)
def test_surrounding_punctuation_emoji_and_whitespace_never_matter(body, before, after):
    assert normalize(before + " " + body + " " + after) == normalize(body)


# --------------------------------------------------------------------------- intent invariants


@FUZZ
@given(bodies)
def test_a_reply_with_an_opt_out_keyword_token_is_never_accept(body):
    reply = parse_reply(body)
    if set(reply.normalized.split()) & OPT_OUT_KEYWORDS:
        assert reply.intent is not Intent.ACCEPT
        assert reply.intent is not Intent.DECLINE


@FUZZ
@given(bodies)
def test_accept_and_decline_words_together_are_neither_accept_nor_decline(body):
    reply = parse_reply(body)
    tokens = {canonical(t) for t in reply.normalized.split()}
    if reply.intent is Intent.ACCEPT:
        assert not tokens & DECLINE_WORDS
    if reply.intent is Intent.DECLINE:
        assert not tokens & ACCEPT_WORDS


@st.composite
def keyword_soup(draw) -> str:
    """Up to six vocabulary-only words, at least one a strong opt-out keyword: "No STOP!", "stop pls"."""
    words = draw(st.lists(st.sampled_from(SOUP_VOCABULARY), max_size=5))
    words.insert(draw(st.integers(0, len(words))), draw(st.sampled_from(sorted(STRONG_OPT_OUT_KEYWORDS))))
    seps = st.sampled_from([" ", ", ", "! ", "\n", " 👍 ", "...", "-"])
    body = "".join(
        (draw(seps) if i else "") + _cased(w, draw(st.lists(st.booleans(), min_size=len(w), max_size=len(w))))
        for i, w in enumerate(words)
    )
    return draw(decoration) + body + draw(decoration)


@FUZZ
@given(keyword_soup())
def test_short_keyword_soup_with_a_strong_opt_out_keyword_is_always_opt_out(body):
    assert parse_reply(body).intent is Intent.OPT_OUT


@FUZZ
@given(bodies)
def test_a_word_outside_the_grammar_vocabulary_makes_the_reply_unknown(body):
    reply = parse_reply(body)
    if any(canonical(token) not in KNOWN_TOKENS for token in reply.normalized.split()):
        assert reply.intent is Intent.UNKNOWN


@FUZZ
@given(bodies)
def test_wrong_numbers_are_opt_outs_and_reactions_are_never_offer_answers(body):
    reply = parse_reply(body)
    if reply.wrong_number:
        assert reply.intent is Intent.OPT_OUT
    if reply.reaction:
        assert reply.intent is Intent.UNKNOWN
    if reply.intent in (Intent.ACCEPT, Intent.DECLINE):
        assert len(reply.normalized.split()) <= 12


# --------------------------------------------------------------------------- phone reactions


@FUZZ
@given(
    st.sampled_from(
        ["Liked", "Loved", "Disliked", "Laughed at", "Emphasized", "Emphasised", "Questioned",
         "Reacted 👍 to", "Reacted ❤️ to", "Le gustó", "Le encantó"]
    ),
    st.sampled_from(['""', "“”", "‘’", "''"]),
    st.one_of(soup(), st.text(alphabet=any_char, max_size=300)),
)
def test_a_phone_reaction_is_never_accept_whatever_it_quotes(verb, quotes, quoted):
    body = f"{verb} {quotes[0]}{quoted}{quotes[1]}"
    reply = parse_reply(body)
    assert reply.reaction is True
    assert reply.intent is Intent.UNKNOWN


# --------------------------------------------------------------------------- Twilio OptOutType


@FUZZ
@given(bodies)
def test_twilio_stop_and_help_always_win(body):
    assert parse_reply(body, "STOP").intent is Intent.OPT_OUT
    assert parse_reply(body, "help").intent is Intent.HELP


@FUZZ
@given(bodies)
def test_twilio_start_is_accept_exactly_when_the_text_is_an_accept(body):
    plain = parse_reply(body)
    tagged = parse_reply(body, "START")
    assert tagged.intent in (Intent.ACCEPT, Intent.OPT_IN)
    assert (tagged.intent is Intent.ACCEPT) == (plain.intent is Intent.ACCEPT)


@FUZZ
@given(bodies, st.text(max_size=12).filter(lambda t: t.strip().upper() not in {"STOP", "HELP", "START"}))
def test_unknown_opt_out_types_are_ignored(body, opt_out_type):
    assert parse_reply(body, opt_out_type) == parse_reply(body)
