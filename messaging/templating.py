"""SMS texts are Django templates under templates/sms/<language>/<name>.txt.

Whitespace is collapsed so templates can be written readably; the version recorded on each
message is a hash of the template source, so a changed wording is traceable without bookkeeping.

Encoding policy (docs/SMS.md): English texts go out as GSM-7 only, so staff-typed values such as a
curly apostrophe in a location name are folded to their GSM-7 look-alikes. Spanish keeps its accents
(UCS-2) while the text fits in SEGMENT_BUDGET segments; a longer one is folded to GSM-7 (accents
that GSM-7 lacks are dropped, as Twilio's Smart Encoding would), which doubles what fits."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.template.loader import get_template

from .encoding import UCS2, analyse, is_gsm7

LANGUAGES = ("en", "es")
ALWAYS_GSM7 = frozenset({"en"})
SEGMENT_BUDGET = {"es": 2}

# typographic characters staff paste from word processors, and their GSM-7 look-alikes
_LOOKALIKES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2022": "-",
    "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "",
}


@dataclass(frozen=True)
class Rendered:
    body: str
    template: str
    version: str
    language: str
    encoding: str
    segments: int


def to_gsm7(text: str) -> str:
    """Fold what has a GSM-7 look-alike (curly quotes, dashes, accents GSM-7 lacks); leave the rest."""
    out = []
    for ch in text:
        if is_gsm7(ch):
            out.append(ch)
        elif ch in _LOOKALIKES:
            out.append(_LOOKALIKES[ch])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and is_gsm7(base) else ch)
    return "".join(out)


@lru_cache(maxsize=128)
def _version(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha1(fh.read()).hexdigest()[:10]


def render_sms(name: str, language: str, context: dict) -> Rendered:
    language = language if language in LANGUAGES else "en"
    template = get_template(f"sms/{language}/{name}.txt", using=_engine_name())
    ctx = {"clinic_name": settings.CLINIC_NAME, "clinic_phone": settings.CLINIC_PHONE, **context}
    body = re.sub(r"\s+", " ", template.render(ctx)).strip()
    encoding, segments = analyse(body)
    budget = SEGMENT_BUDGET.get(language)
    if encoding == UCS2 and (language in ALWAYS_GSM7 or (budget is not None and segments > budget)):
        body = to_gsm7(body)
        encoding, segments = analyse(body)
    return Rendered(
        body=body,
        template=f"{language}/{name}",
        version=_version(template.origin.name),
        language=language,
        encoding=encoding,
        segments=segments,
    )


def _engine_name() -> str:
    # texts are plain text: no HTML autoescaping of "&" or quotes
    return "sms"
