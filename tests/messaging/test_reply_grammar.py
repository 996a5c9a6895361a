"""Table-driven tests of the SMS reply grammar (messaging.grammar)."""

import pytest

from messaging.grammar import (
    ACCEPT_PHRASES,
    DECLINE_PHRASES,
    HELP_PHRASES,
    OPT_IN_PHRASES,
    OPT_OUT_PHRASES,
    WRONG_NUMBER_PHRASES,
    Intent,
    ParsedReply,
    is_reaction,
    normalize,
    parse_reply,
)

OPT_OUT, OPT_IN, HELP = Intent.OPT_OUT, Intent.OPT_IN, Intent.HELP
DECLINE, ACCEPT, UNKNOWN = Intent.DECLINE, Intent.ACCEPT, Intent.UNKNOWN


def ids(cases):
    return [repr(case[0])[:40] for case in cases]


# --------------------------------------------------------------------------- normalize

NORMALIZE_CASES = [
    ("  YES  ", "yes"),
    ("Yes!!!", "yes"),
    ("Sí", "si"),
    ("SÍ, POR FAVOR", "si por favor"),
    ("Número equivocado", "numero equivocado"),
    ("don't text me", "dont text me"),
    ("Don\u2019t text me", "dont text me"),
    ("I'll take it", "ill take it"),
    ("opt-out", "opt out"),
    ("Yes 👍", "yes"),
    ("👍🏽", ""),
    ("stop\n\n\tnow", "stop now"),
    ("STRASSE", "strasse"),
    ("Straße", "strasse"),
    ("ｙｅｓ", "yes"),
    ("١", "1"),
    ("yes\x00\x07\x1b", "yes"),
    ("\ud83d yes \udc4d", "yes"),
    ("", ""),
    ("   ", ""),
    ("!!!???...", ""),
    ("2:37 PM", "2 37 pm"),
]


@pytest.mark.parametrize(("raw", "expected"), NORMALIZE_CASES, ids=ids(NORMALIZE_CASES))
def test_normalize_folds_case_accents_punctuation_and_whitespace(raw, expected):
    assert normalize(raw) == expected


def test_normalize_treats_none_as_empty_text():
    assert normalize(None) == ""


def test_normalize_copes_with_a_maximum_length_1600_character_body():
    assert normalize("Yes! " * 320) == " ".join(["yes"] * 320)


# --------------------------------------------------------------------------- intents

SPEC_EXAMPLES = [
    # The examples the reference implementation got wrong.
    ("Thank you", UNKNOWN),
    ("Maybe", UNKNOWN),
    ("Not today", DECLINE),
    ("Any other times?", UNKNOWN),
    ("Stop texting me please", OPT_OUT),
    ("Unsubscribe", OPT_OUT),
    ("Cancel", OPT_OUT),
    ("START", OPT_IN),
    ("No stop", OPT_OUT),
    ("yes!!!", ACCEPT),
    ("Yes 👍", ACCEPT),
    ("Sí", ACCEPT),
    ("Y", ACCEPT),
    ("1", ACCEPT),
    ("2", DECLINE),
    ("12", UNKNOWN),
    ("yesterday", UNKNOWN),
    ("nobody", UNKNOWN),
    ("stopping by later", UNKNOWN),
    ("", UNKNOWN),
    ("HELP", HELP),
    ("help stop", OPT_OUT),
]


@pytest.mark.parametrize(("body", "intent"), SPEC_EXAMPLES, ids=ids(SPEC_EXAMPLES))
def test_every_example_from_the_product_spec_gets_the_specified_intent(body, intent):
    assert parse_reply(body).intent is intent


OPT_OUT_CASES = [
    *[
        (word, OPT_OUT)
        for word in "STOP STOPALL UNSUBSCRIBE END QUIT CANCEL OPTOUT REVOKE BAJA PARAR ALTO".split()
    ],
    ("stop.", OPT_OUT),
    ("Stop!", OPT_OUT),
    ("  sToP  ", OPT_OUT),
    ("STOP please", OPT_OUT),
    ("please stop", OPT_OUT),
    ("stop now", OPT_OUT),
    ("stop stop", OPT_OUT),
    ("STOP STOP STOP", OPT_OUT),
    ("stop stop stop stop stop stop stop stop", OPT_OUT),
    ("yes stop", OPT_OUT),
    ("ok stop", OPT_OUT),
    ("stop thanks", OPT_OUT),
    ("cancel please", OPT_OUT),
    ("Quit!", OPT_OUT),
    ("stop all", OPT_OUT),
    ("stop texting me", OPT_OUT),
    ("Stop texting", OPT_OUT),
    ("stop messaging me", OPT_OUT),
    ("Stop contacting me!", OPT_OUT),
    ("stop sending me texts", OPT_OUT),
    ("Don't text me", OPT_OUT),
    ("do not text me", OPT_OUT),
    ("No more texts", OPT_OUT),
    ("no more texts please", OPT_OUT),
    ("remove me", OPT_OUT),
    ("Remove me from the list", OPT_OUT),
    ("remove me from your list, thank you", OPT_OUT),
    ("take me off the list", OPT_OUT),
    ("Take me off your list please", OPT_OUT),
    ("unsubscribe me", OPT_OUT),
    ("opt out", OPT_OUT),
    ("Opt-out", OPT_OUT),
    ("No me envíes más mensajes", OPT_OUT),
    ("Baja por favor", OPT_OUT),
    ("PARAR", OPT_OUT),
    ("unsubscribe now please", OPT_OUT),
]


@pytest.mark.parametrize(("body", "intent"), OPT_OUT_CASES, ids=ids(OPT_OUT_CASES))
def test_opt_out_keywords_and_clear_revocation_phrases_are_opt_outs(body, intent):
    reply = parse_reply(body)
    assert reply.intent is intent
    assert reply.wrong_number is False


WRONG_NUMBER_CASES = [
    "wrong number",
    "Wrong number!",
    "You have the wrong number",
    "you have the wrong number, sorry",
    "wrong person",
    "Número equivocado",
    "wrong number please",
]


@pytest.mark.parametrize("body", WRONG_NUMBER_CASES)
def test_wrong_number_texts_are_opt_outs_flagged_as_wrong_number(body):
    reply = parse_reply(body)
    assert reply.intent is OPT_OUT
    assert reply.wrong_number is True


OPT_OUT_LOOKALIKES = [
    ("I need to cancel my appointment", UNKNOWN),
    ("don't stop", UNKNOWN),
    ("do not stop", UNKNOWN),
    ("stopping by later", UNKNOWN),
    ("bus stop", UNKNOWN),
    ("I will stop by", UNKNOWN),
    ("the end", UNKNOWN),
    ("cancelled", UNKNOWN),
    ("Can I cancel?", UNKNOWN),
    ("stop by at 3?", UNKNOWN),
    ("wrong time", UNKNOWN),
    ("wrong", UNKNOWN),
    ("number", UNKNOWN),
    ("remove", UNKNOWN),
]


@pytest.mark.parametrize(("body", "intent"), OPT_OUT_LOOKALIKES, ids=ids(OPT_OUT_LOOKALIKES))
def test_sentences_that_merely_contain_an_opt_out_word_are_not_opt_outs(body, intent):
    assert parse_reply(body).intent is intent


HELP_CASES = [
    ("HELP", HELP),
    ("help", HELP),
    ("Help!", HELP),
    ("help please", HELP),
    ("please help", HELP),
    ("INFO", HELP),
    ("info?", HELP),
    ("Ayuda", HELP),
    ("ayuda por favor", HELP),
    ("helpful", UNKNOWN),
    ("can you help me reschedule", UNKNOWN),
]


@pytest.mark.parametrize(("body", "intent"), HELP_CASES, ids=ids(HELP_CASES))
def test_help_keywords_with_optional_politeness_ask_for_help(body, intent):
    assert parse_reply(body).intent is intent


DECLINE_CASES = [
    *[(word, DECLINE) for word in "NO N NOPE NAH PASS SKIP DECLINE 2".split()],
    ("no.", DECLINE),
    ("No!", DECLINE),
    ("No thanks", DECLINE),
    ("no, thank you", DECLINE),
    ("No gracias", DECLINE),
    ("not today", DECLINE),
    ("Not interested", DECLINE),
    ("I pass", DECLINE),
    ("nope thanks", DECLINE),
    ("not today, thank you", DECLINE),
    ("no no", DECLINE),
    ("Nooo", DECLINE),
    ("no please", UNKNOWN),
    ("nobody", UNKNOWN),
    ("not", UNKNOWN),
    ("no problem", UNKNOWN),
    ("not sure", UNKNOWN),
    ("22", UNKNOWN),
    ("passing through", UNKNOWN),
]


@pytest.mark.parametrize(("body", "intent"), DECLINE_CASES, ids=ids(DECLINE_CASES))
def test_decline_words_and_phrases_decline_the_offer(body, intent):
    assert parse_reply(body).intent is intent


ACCEPT_CASES = [
    *[(word, ACCEPT) for word in "YES Y YEP YEAH YA SURE OK OKAY ACCEPT BOOK CLAIM 1".split()],
    ("yes", ACCEPT),
    ("Yes.", ACCEPT),
    ("YES!!!", ACCEPT),
    ("yes 👍", ACCEPT),
    ("👍 yes", ACCEPT),
    ("Sí", ACCEPT),
    ("si", ACCEPT),
    ("SÍ POR FAVOR", ACCEPT),
    ("Yes please", ACCEPT),
    ("yes please!", ACCEPT),
    ("Yes thank you", ACCEPT),
    ("yes thanks", ACCEPT),
    ("Ok thanks", ACCEPT),
    ("Book it", ACCEPT),
    ("I accept", ACCEPT),
    ("I'll take it", ACCEPT),
    ("Ill take it!", ACCEPT),
    ("Yes I want it", ACCEPT),
    ("yes yes", ACCEPT),
    ("Yes yes yes!", ACCEPT),
    ("Yesss", ACCEPT),
    ("\u00a0yes\u2003", ACCEPT),
    ("yesterday", UNKNOWN),
    ("yes no", UNKNOWN),
    ("no yes", UNKNOWN),
    ("ok no", UNKNOWN),
    ("yes but can it be later", UNKNOWN),
    ("yes, what time?", UNKNOWN),
    ("okay?", ACCEPT),
    ("bookkeeping", UNKNOWN),
    ("Thank you", UNKNOWN),
    ("thanks", UNKNOWN),
    ("please", UNKNOWN),
    ("Maybe", UNKNOWN),
    ("11", UNKNOWN),
    ("1 2", UNKNOWN),
]


@pytest.mark.parametrize(("body", "intent"), ACCEPT_CASES, ids=ids(ACCEPT_CASES))
def test_only_whole_accept_phrases_accept_the_offer(body, intent):
    assert parse_reply(body).intent is intent


OPT_IN_CASES = [
    ("START", OPT_IN),
    ("start", OPT_IN),
    ("Start.", OPT_IN),
    ("UNSTOP", OPT_IN),
    ("YES", ACCEPT),
    ("starting soon?", UNKNOWN),
    ("restart", UNKNOWN),
]


@pytest.mark.parametrize(("body", "intent"), OPT_IN_CASES, ids=ids(OPT_IN_CASES))
def test_only_start_and_unstop_opt_back_in(body, intent):
    assert parse_reply(body).intent is intent


PRECEDENCE_CASES = [
    ("help stop", OPT_OUT),
    ("stop help", OPT_OUT),
    ("No stop", OPT_OUT),
    ("yes stop", OPT_OUT),
    ("stop yes", OPT_OUT),
    ("No, STOP!", OPT_OUT),
    ("help no", UNKNOWN),
    ("yes no", UNKNOWN),
]


@pytest.mark.parametrize(("body", "intent"), PRECEDENCE_CASES, ids=ids(PRECEDENCE_CASES))
def test_opt_out_outranks_help_decline_and_accept(body, intent):
    assert parse_reply(body).intent is intent


LISTED_PHRASES = sorted(
    [(phrase, OPT_OUT) for phrase in OPT_OUT_PHRASES]
    + [(phrase, OPT_IN) for phrase in OPT_IN_PHRASES]
    + [(phrase, HELP) for phrase in HELP_PHRASES]
    + [(phrase, DECLINE) for phrase in DECLINE_PHRASES]
    + [(phrase, ACCEPT) for phrase in ACCEPT_PHRASES]
)


@pytest.mark.parametrize(("phrase", "intent"), LISTED_PHRASES, ids=ids(LISTED_PHRASES))
def test_every_listed_phrase_parses_to_its_own_intent(phrase, intent):
    reply = parse_reply(phrase.upper() + "!")
    assert reply.intent is intent
    assert reply.wrong_number is (phrase in WRONG_NUMBER_PHRASES)


def test_no_phrase_is_listed_under_two_intents():
    lists = [OPT_OUT_PHRASES, OPT_IN_PHRASES, HELP_PHRASES, DECLINE_PHRASES, ACCEPT_PHRASES]
    assert sum(len(phrases) for phrases in lists) == len(frozenset().union(*lists))


def test_phrase_lists_are_already_normalized():
    for phrase in OPT_OUT_PHRASES | OPT_IN_PHRASES | HELP_PHRASES | DECLINE_PHRASES | ACCEPT_PHRASES:
        assert normalize(phrase) == phrase


# --------------------------------------------------------------------------- reactions

REACTION_CASES = [
    "Liked “Reply YES by 2:37 PM”",
    'Liked "Reply YES by 2:37 PM"',
    "Loved “A slot opened up: Tue 10:30. Reply YES to book.”",
    "Disliked “Reply YES to book”",
    "Laughed at “yes”",
    "Emphasized “Reply YES”",
    "Emphasised “Reply YES”",
    "Questioned “Reply YES”",
    "Reacted 👍 to “Reply YES to book”",
    'Reacted 👍🏽 to "Reply YES to book"',
    "Le gustó “Responda SÍ para reservar”",
    "Le encantó “Responda SÍ”",
    "Liked “STOP”",
    "Liked “Reply YES\nby 2:37 PM”",
]


@pytest.mark.parametrize("body", REACTION_CASES)
def test_phone_reactions_are_flagged_and_never_accept(body):
    reply = parse_reply(body)
    assert reply.reaction is True
    assert reply.intent is UNKNOWN
    assert is_reaction(body)


NOT_REACTION_CASES = [
    ("Liked it, yes", UNKNOWN),
    ("Loved it", UNKNOWN),
    ("yes", ACCEPT),
    ("Liked", UNKNOWN),
    ("I liked “yes”", UNKNOWN),
]


@pytest.mark.parametrize(("body", "intent"), NOT_REACTION_CASES, ids=ids(NOT_REACTION_CASES))
def test_ordinary_texts_that_mention_liking_are_not_reactions(body, intent):
    reply = parse_reply(body)
    assert reply.reaction is False
    assert reply.intent is intent


# --------------------------------------------------------------------------- Twilio OptOutType

OPT_OUT_TYPE_CASES = [
    ("STOP", "STOP", OPT_OUT),
    ("arrêt", "STOP", OPT_OUT),
    ("yes", "STOP", OPT_OUT),
    ("HELP", "HELP", HELP),
    ("yes", "HELP", HELP),
    ("START", "START", OPT_IN),
    ("unstop", "START", OPT_IN),
    ("YES", "START", ACCEPT),
    ("yes please", "START", ACCEPT),
    ("Sí", "START", ACCEPT),
    ("yes", "start", ACCEPT),
    ("stop", " stop ", OPT_OUT),
    ("yes", "", ACCEPT),
    ("yes", "SOMETHING_NEW", ACCEPT),
    ("stop", "SOMETHING_NEW", OPT_OUT),
    ("yes", None, ACCEPT),
]


@pytest.mark.parametrize(("body", "opt_out_type", "intent"), OPT_OUT_TYPE_CASES, ids=ids(OPT_OUT_TYPE_CASES))
def test_twilio_opt_out_type_is_honoured_and_unknown_values_are_ignored(body, opt_out_type, intent):
    assert parse_reply(body, opt_out_type=opt_out_type).intent is intent


# --------------------------------------------------------------------------- robustness and shape

AWKWARD_BODIES = [
    None,
    "",
    " ",
    "\x00",
    "\ud800",
    "\udfff\ud800",
    "\ufffd\ufffd",
    "yes" * 534,
    "🙂" * 800,
    "a" * 1600,
    "\u202eSEY",
    "\u200byes\u200b",
]


@pytest.mark.parametrize("body", AWKWARD_BODIES, ids=lambda b: repr(b)[:20])
def test_awkward_bodies_parse_without_raising(body):
    reply = parse_reply(body)
    assert isinstance(reply, ParsedReply)
    assert isinstance(reply.intent, Intent)
    assert reply.normalized == normalize(body)


def test_zero_width_spaces_around_yes_still_accept():
    assert parse_reply("\u200byes\u200b").intent is ACCEPT


def test_parsed_reply_carries_the_normalized_text_and_is_immutable():
    reply = parse_reply("  Yes, PLEASE!! ")
    assert reply == ParsedReply(intent=ACCEPT, normalized="yes please")
    with pytest.raises(AttributeError):
        reply.intent = DECLINE  # type: ignore[misc]


def test_intent_values_are_the_stored_strings():
    assert [i.value for i in Intent] == ["opt_out", "opt_in", "help", "decline", "accept", "unknown"]
    assert Intent.ACCEPT == "accept"
