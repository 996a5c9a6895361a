"""The SMS reply grammar: what a patient meant by a text message.

Pure Python (stdlib only, no Django) so it can be fuzzed and reused anywhere.

The grammar matches the WHOLE normalized message against closed phrase lists;
it never looks for substrings, so "yesterday" is not "yes" and "I need to
cancel my appointment" is not an opt-out.  When a message qualifies for
several intents the strongest wins: opt-out > opt-in > help > decline > accept.
Anything else is UNKNOWN and left for a human.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "ACCEPT_PHRASES",
    "DECLINE_PHRASES",
    "HELP_PHRASES",
    "KNOWN_TOKENS",
    "OPT_IN_PHRASES",
    "OPT_OUT_KEYWORDS",
    "OPT_OUT_PHRASES",
    "STRONG_OPT_OUT_KEYWORDS",
    "WRONG_NUMBER_PHRASES",
    "Intent",
    "ParsedReply",
    "is_reaction",
    "normalize",
    "parse_reply",
]


class Intent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    DECLINE = "decline"
    ACCEPT = "accept"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ParsedReply:
    intent: Intent
    normalized: str  # the normalized text
    wrong_number: bool = False  # "wrong number" style texts (they are also OPT_OUT)
    reaction: bool = False  # phone reactions like Liked "..." (intent UNKNOWN)
    # an ACCEPT made only of "ok"/"sure" and thanks: after an offer has ended it acknowledges our
    # news ("that opening was just taken" - "ok thanks") and asks for nothing
    acknowledgement: bool = False


# --------------------------------------------------------------------------- normalization

# Apostrophes are deleted rather than turned into spaces, so "don't" -> "dont", "I'll" -> "ill".
_APOSTROPHES = frozenset("'`\u00b4\u02b9\u02bb\u02bc\u02bd\u2018\u2019\u201b\u2032\uff07")


def _to_text(body: object) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes | bytearray):
        return bytes(body).decode("utf-8", "replace")
    if not isinstance(body, str):
        body = str(body)
    # Re-pair surrogates written as two code points and replace lone ones with U+FFFD.
    return body.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _fold(text: str) -> str:
    """Case-fold and strip accents until stable (NFKD can reveal new capitals, e.g. U+210C)."""
    for _ in range(4):
        folded = unicodedata.normalize("NFKD", text).casefold()
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in folded if not unicodedata.category(ch).startswith("M"))
        if folded == text:
            break
        text = folded
    return text


def normalize(body: str | None) -> str:
    """Trim, case-fold, fold accents, drop punctuation/emoji/symbols, collapse whitespace.

    Only letters, ASCII digits and single spaces survive.  Never raises.
    """
    text = _fold(_to_text(body))
    out: list[str] = []
    for ch in text:
        if ch in _APOSTROPHES:
            continue
        category = unicodedata.category(ch)
        if category == "Nd":
            out.append(str(unicodedata.decimal(ch, 0)))  # Arabic-Indic etc. digits -> ASCII
        elif category.startswith("L"):
            out.append(ch)
        else:
            out.append(" ")
    return " ".join("".join(out).split())


# --------------------------------------------------------------------------- phone reactions

_QUOTES_OPEN = "\"'\u201c\u201d\u201e\u201f\u2018\u2019\u00ab\u00bb\u2039\u203a\u300c"
_QUOTES_CLOSE = "\"'\u201c\u201d\u201e\u201f\u2018\u2019\u00ab\u00bb\u2039\u203a\u300d"
_QUOTED = rf"[{_QUOTES_OPEN}].*[{_QUOTES_CLOSE}]\s*\Z"
# Reactions to media have no quoted text: "Loved an image".
_ATTACHMENT = r"(?:an?\ )?(?:image|photo|video|movie|attachment|sticker|gif|audio\ message|message)\s*\Z"
_REACTION_RE = re.compile(
    r"\A\s*(?:"
    # iOS (Tapbacks as plain text) in English.
    r"(?:Liked|Loved|Disliked|Laughed\ at|Emphasi[sz]ed|Questioned)"
    r"|Removed\ an?\ (?:like|heart|dislike|laugh|exclamation(?:\ mark)?|question\ mark|emphasis)\ from"
    # Android / Google Messages: Reacted 👍 to "..."
    r"|Reacted\ (?:with\ )?\S{1,24}\ to"
    # Spanish.
    r"|(?:No\ )?Le\ gust[oó]|Le\ encant[oó]|Le\ dio\ risa|Enfatiz[oó]|Pregunt[oó]"
    r"|Se\ ri[oó]\ de|Le\ (?:divirti[oó]|enfad[oó])|Reaccion[oó]\ (?:con\ )?\S{1,24}\ a"
    rf")\ (?:{_QUOTED}|{_ATTACHMENT})",
    re.IGNORECASE | re.DOTALL,
)


def is_reaction(body: str | None) -> bool:
    """True for phone "reactions" such as  Liked “Reply YES by 2:37 PM”  (checked on the RAW body)."""
    text = _to_text(body)
    return bool(text) and _REACTION_RE.match(text) is not None


# --------------------------------------------------------------------------- phrase lists

def _phrases(*items: str) -> frozenset[str]:
    return frozenset(" ".join(item.split()) for item in items)


# Single-word carrier-style opt-out keywords (CTIA/Twilio defaults plus Spanish).
OPT_OUT_KEYWORDS = _phrases(
    "stop", "stopall", "unsubscribe", "end", "quit", "cancel", "optout", "revoke", "baja", "parar", "alto",
)
# Keywords that make a short all-vocabulary message an opt-out ("no stop", "stop stop", "STOP please").
# END, CANCEL and ALTO are excluded: they are ordinary words in other contexts.
STRONG_OPT_OUT_KEYWORDS = _phrases(
    "stop", "stopall", "unsubscribe", "optout", "revoke", "quit", "baja", "parar",
)

WRONG_NUMBER_PHRASES = _phrases(
    "wrong number", "wrong num", "wrong person", "wrong phone number", "wrong cell number",
    "you have the wrong number", "you have wrong number", "you have the wrong person",
    "youve got the wrong number", "you got the wrong number", "you got the wrong person",
    "this is the wrong number", "this is a wrong number", "sorry wrong number", "wrong number sorry",
    "not the right person", "numero equivocado", "numero incorrecto", "se equivoco de numero",
    "persona equivocada",
)

OPT_OUT_PHRASES = OPT_OUT_KEYWORDS | WRONG_NUMBER_PHRASES | _phrases(
    "stop all", "stop it", "stop texts", "stop messages", "stop texting", "stop texting me",
    "stop messaging", "stop messaging me", "stop contacting me", "stop sending", "stop sending me",
    "stop sending texts", "stop sending messages", "stop sending me texts", "stop sending me messages",
    "stop texting me anymore", "dont text me", "do not text me", "dont text", "do not text",
    "dont text me anymore", "do not text me anymore", "dont message me", "do not message me",
    "dont contact me", "do not contact me", "dont contact me again", "do not contact me again",
    "no more texts", "no more messages", "no more text messages", "no more texting",
    "remove me", "remove me from the list", "remove me from your list", "remove me from this list",
    "remove me from the waitlist", "remove me from your waitlist", "remove me from the waiting list",
    "remove me from your waiting list", "remove my number", "take me off", "take me off the list",
    "take me off your list", "take me off this list", "take me off the waitlist",
    "take me off your waitlist", "take me off the waiting list", "unsubscribe me", "opt out",
    "opt me out", "i want to opt out", "leave me alone",
    # Spanish.
    "no me envies mas mensajes", "no me envie mas mensajes", "no me envien mas mensajes",
    "no me manden mas mensajes", "no me mande mas mensajes", "no me escriban mas", "no me escribas mas",
    "no mas mensajes", "dejen de enviarme mensajes", "deja de enviarme mensajes",
    "dejen de escribirme", "deja de escribirme", "darme de baja", "dame de baja", "deme de baja",
    "denme de baja", "quitame de la lista", "quiteme de la lista", "sacame de la lista",
    "sacame de la lista de espera", "no me mandes mas mensajes", "no me mandes mensajes",
    "no quiero mas mensajes", "no quiero recibir mas mensajes", "dejen de mandarme mensajes",
    "deja de mandarme mensajes", "cancelar", "basta", "ya basta",
)

OPT_IN_PHRASES = _phrases("start", "unstop")

HELP_PHRASES = _phrases("help", "info", "ayuda", "help me", "information")

DECLINE_PHRASES = _phrases(
    "no", "n", "nope", "nah", "pass", "skip", "decline", "2",
    "no thanks", "no thank you", "no thx", "no gracias", "not today", "not interested",
    "not this time", "i pass", "ill pass", "i decline", "i will pass",
    "no me interesa", "no estoy interesado", "no estoy interesada", "hoy no",
)

ACCEPT_PHRASES = _phrases(
    "yes", "y", "yep", "yup", "yeah", "ya", "sure", "ok", "okay", "accept", "book", "claim", "1",
    "si", "yes please", "si por favor", "yes thank you", "yes thanks", "ok thanks", "okay thanks",
    "book it", "book me", "yes book it", "yes book me", "i accept", "yes i accept", "ill take it",
    "i will take it", "yes ill take it", "yes i want it", "i want it", "claim it",
)

# Words an accept or decline is made of: a message holding one of each is UNKNOWN ("yes no").
_ACCEPT_WORDS = frozenset({"yes", "y", "yep", "yup", "yeah", "ya", "sure", "ok", "okay", "si", "accept"})
_DECLINE_WORDS = frozenset({"no", "n", "nope", "nah", "decline"})

# Optional politeness around a phrase, per intent.  Decline deliberately has no "please":
# "no please" is ambiguous ("no, please don't" / "no... please do").
_THANKS = (("thanks",), ("thank", "you"), ("thx",), ("ty",), ("gracias",), ("thankyou",))
_PLEASE = (("please",), ("pls",), ("plz",), ("por", "favor"), ("porfavor",))
_FILLERS: dict[Intent, tuple[tuple[str, ...], ...]] = {
    Intent.OPT_OUT: _THANKS + _PLEASE + (("now",), ("sorry",), ("ok",), ("okay",)),
    Intent.OPT_IN: _THANKS + _PLEASE + (("now",),),
    Intent.HELP: _THANKS + _PLEASE,
    Intent.DECLINE: _THANKS + (("sorry",),),
    Intent.ACCEPT: _THANKS + _PLEASE,
}

_PHRASES_BY_INTENT: dict[Intent, frozenset[str]] = {
    Intent.OPT_OUT: OPT_OUT_PHRASES,
    Intent.OPT_IN: OPT_IN_PHRASES,
    Intent.HELP: HELP_PHRASES,
    Intent.DECLINE: DECLINE_PHRASES,
    Intent.ACCEPT: ACCEPT_PHRASES,
}
_PRECEDENCE = (Intent.OPT_OUT, Intent.OPT_IN, Intent.HELP, Intent.DECLINE, Intent.ACCEPT)

# Tokens allowed in a short "keyword soup" opt-out such as "no stop" or "STOP please".
_KEYWORD_VOCABULARY = (
    OPT_OUT_KEYWORDS
    | _ACCEPT_WORDS
    | _DECLINE_WORDS
    | frozenset({"help", "info", "ayuda", "now", "sorry"})
    | frozenset(word for filler in _THANKS + _PLEASE for word in filler)
)
_SOUP_MAX_TOKENS = 6

# Every token the grammar can ever match on; any other token makes the message UNKNOWN.
KNOWN_TOKENS: frozenset[str] = frozenset(
    word
    for phrases in (*_PHRASES_BY_INTENT.values(), _KEYWORD_VOCABULARY)
    for phrase in phrases
    for word in phrase.split()
) | frozenset(word for fillers in _FILLERS.values() for filler in fillers for word in filler)

# "ok", "sure" and thanks: an acknowledgement, not a request to book (see ParsedReply)
_ACKNOWLEDGEMENT_WORDS = frozenset({"ok", "okay", "sure"})

_MAX_PHRASE_TOKENS = max(len(p.split()) for phrases in _PHRASES_BY_INTENT.values() for p in phrases)
_MAX_TOKENS = _MAX_PHRASE_TOKENS + 8  # longer messages are never a phrase plus filler

_YES_RE = re.compile(r"y+e+s+")
_NO_RE = re.compile(r"no+")


# --------------------------------------------------------------------------- matching

def _canonical_tokens(normalized: str) -> list[str]:
    """Tokens with elongations folded ("yesss" -> "yes", "nooo" -> "no") and repeats collapsed."""
    tokens: list[str] = []
    for token in normalized.split():
        if _YES_RE.fullmatch(token):
            token = "yes"
        elif _NO_RE.fullmatch(token):
            token = "no"
        if tokens and token == tokens[-1] and token.isalpha():
            continue  # "yes yes" -> "yes"; "stop stop" -> "stop"
        tokens.append(token)
    return tokens


def _cores(tokens: tuple[str, ...], fillers: tuple[tuple[str, ...], ...]) -> set[tuple[str, ...]]:
    """All non-empty token runs left after peeling filler off either end ("stop now please" -> "stop")."""
    seen: set[tuple[str, ...]] = set()
    todo = [tokens]
    while todo:
        current = todo.pop()
        if not current or current in seen:
            continue
        seen.add(current)
        for filler in fillers:
            size = len(filler)
            if len(current) > size:
                if current[:size] == filler:
                    todo.append(current[size:])
                if current[-size:] == filler:
                    todo.append(current[:-size])
    return seen


def _matches(intent: Intent, tokens: tuple[str, ...]) -> str | None:
    """The phrase of ``intent`` the message is made of (plus filler), if any."""
    phrases = _PHRASES_BY_INTENT[intent]
    for core in _cores(tokens, _FILLERS[intent]):
        phrase = " ".join(core)
        if phrase in phrases:
            return phrase
    return None


def _is_keyword_soup_opt_out(tokens: tuple[str, ...]) -> bool:
    return (
        0 < len(tokens) <= _SOUP_MAX_TOKENS
        and all(token in _KEYWORD_VOCABULARY for token in tokens)
        and any(token in STRONG_OPT_OUT_KEYWORDS for token in tokens)
    )


# A message may join two or three phrases of these intents ("wrong number, stop", "no thanks, stop
# texting me", "yes, please book it", "no, not today"): all accept, all decline, or an opt-out with
# declines. Any other mix stays UNKNOWN.
_JOINABLE = (Intent.OPT_OUT, Intent.DECLINE, Intent.ACCEPT)
_MAX_PARTS = 3


def _parts(tokens: tuple[str, ...], room: int) -> list[tuple[Intent, bool]] | None:
    """The message read as at most `room` consecutive phrases, each of a joinable intent."""
    for intent in _JOINABLE:
        phrase = _matches(intent, tokens)
        if phrase is not None:
            return [(intent, intent is Intent.OPT_OUT and phrase in WRONG_NUMBER_PHRASES)]
    if room < 2:
        return None
    for cut in range(1, len(tokens)):
        head = _parts(tokens[:cut], 1)
        if head is None:
            continue
        tail = _parts(tokens[cut:], room - 1)
        if tail is not None:
            return head + tail
    return None


def _joined(tokens: tuple[str, ...]) -> tuple[Intent, bool] | None:
    parts = _parts(tokens, _MAX_PARTS)
    if parts is None:
        return None
    intents = {intent for intent, _ in parts}
    wrong_number = any(flag for _, flag in parts)
    if intents == {Intent.ACCEPT}:
        return Intent.ACCEPT, False
    if intents == {Intent.DECLINE}:
        return Intent.DECLINE, False
    if Intent.OPT_OUT in intents and Intent.ACCEPT not in intents:
        return Intent.OPT_OUT, wrong_number
    return None


def _classify(normalized: str) -> tuple[Intent, bool]:
    """(intent, wrong_number) of a normalized message."""
    raw_tokens = normalized.split()
    if not raw_tokens or len(raw_tokens) > _MAX_TOKENS:
        return Intent.UNKNOWN, False
    tokens = tuple(_canonical_tokens(normalized))

    if _is_keyword_soup_opt_out(tokens):
        return Intent.OPT_OUT, False

    words = set(tokens)
    mixed = bool(words & _ACCEPT_WORDS) and bool(words & _DECLINE_WORDS)
    for intent in _PRECEDENCE:
        if mixed and intent in (Intent.DECLINE, Intent.ACCEPT):
            return Intent.UNKNOWN, False
        phrase = _matches(intent, tokens)
        if phrase is not None:
            return intent, intent is Intent.OPT_OUT and phrase in WRONG_NUMBER_PHRASES
    if not mixed:
        joined = _joined(tokens)
        if joined is not None:
            return joined
    return Intent.UNKNOWN, False


def _is_acknowledgement(normalized: str) -> bool:
    tokens = tuple(_canonical_tokens(normalized))
    return any(" ".join(core) in _ACKNOWLEDGEMENT_WORDS for core in _cores(tokens, _FILLERS[Intent.ACCEPT]))


def parse_reply(body: str | None, opt_out_type: str | None = None) -> ParsedReply:
    """Classify an inbound SMS body.  Never raises.

    ``opt_out_type`` is Twilio's OptOutType webhook parameter (Advanced Opt-Out only).  Twilio's
    verdict wins for STOP and HELP; for START an accept word ("YES", which Twilio counts as an
    opt-in keyword) stays ACCEPT and anything else is OPT_IN.  Unknown values are ignored.
    """
    normalized = normalize(body)
    reaction = is_reaction(body)
    if reaction:
        intent, wrong_number = Intent.UNKNOWN, False
    else:
        intent, wrong_number = _classify(normalized)

    twilio = opt_out_type.strip().upper() if isinstance(opt_out_type, str) else ""
    if twilio == "STOP":
        intent = Intent.OPT_OUT
    elif twilio == "HELP":
        intent = Intent.HELP
    elif twilio == "START":
        # the text's own reading decides: a second accept test beside the classifier's missed the
        # joined phrases ("1 1", "yes, please book it") it reads as a YES
        intent = Intent.ACCEPT if intent is Intent.ACCEPT else Intent.OPT_IN

    acknowledgement = intent is Intent.ACCEPT and _is_acknowledgement(normalized)
    return ParsedReply(intent=intent, normalized=normalized, wrong_number=wrong_number, reaction=reaction,
                       acknowledgement=acknowledgement)
