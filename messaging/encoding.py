"""SMS encoding and segment calculator (GSM 03.38 / UCS-2).  Pure Python, stdlib only.

A message that uses only the GSM 03.38 default alphabet (plus its extension table, whose
characters cost two septets each because of the escape) is sent as GSM-7: 160 septets in a
single segment, 153 per segment once concatenated.  Anything else (an em dash, a curly quote,
an emoji, "Á") forces UCS-2: 70 UTF-16 code units in one segment, 67 per concatenated segment.
"""

from __future__ import annotations

import math

__all__ = [
    "GSM7",
    "GSM7_BASIC",
    "GSM7_EXTENDED",
    "UCS2",
    "analyse",
    "is_gsm7",
    "septet_count",
    "segment_count",
    "sms_encoding",
    "utf16_units",
]

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet, in code-point order 0x00-0x7F (0x1B is the escape, not a character).
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ" "ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# Extension table: each costs two septets (escape + character).
GSM7_EXTENDED: frozenset[str] = frozenset("\f^{}\\[~]|€")

_GSM7_ALL = GSM7_BASIC | GSM7_EXTENDED

GSM7_SINGLE_SEGMENT = 160
GSM7_MULTI_SEGMENT = 153
UCS2_SINGLE_SEGMENT = 70
UCS2_MULTI_SEGMENT = 67


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 basic or extension table."""
    return all(ch in _GSM7_ALL for ch in (text or ""))


def sms_encoding(text: str) -> str:
    """``"GSM-7"`` or ``"UCS-2"``."""
    return GSM7 if is_gsm7(text) else UCS2


def septet_count(text: str) -> int:
    """Septets needed to send ``text`` as GSM-7 (extension characters count two)."""
    return sum(2 if ch in GSM7_EXTENDED else 1 for ch in (text or ""))


def utf16_units(text: str) -> int:
    """UTF-16 code units (an emoji outside the BMP is 2)."""
    return len((text or "").encode("utf-16-le", "surrogatepass")) // 2


def _segments(units: int, single: int, multi: int) -> int:
    if units <= single:
        return 1
    return math.ceil(units / multi)


def segment_count(text: str) -> int:
    """Number of SMS segments; empty text is one segment."""
    if is_gsm7(text):
        return _segments(septet_count(text), GSM7_SINGLE_SEGMENT, GSM7_MULTI_SEGMENT)
    return _segments(utf16_units(text), UCS2_SINGLE_SEGMENT, UCS2_MULTI_SEGMENT)


def analyse(text: str) -> tuple[str, int]:
    """``(encoding, segments)`` of ``text``."""
    return sms_encoding(text), segment_count(text)
