from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError

DEFAULT_REGION = "US"


def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> str:
    """E.164 form of a phone number, or a ValidationError that says what is wrong with it."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError("A phone number is required.", code="required")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"{text[:40]!r} is not a phone number.", code="invalid") from None
    if parsed.extension:
        # dropping it would text the main line: a switchboard, or someone else at that office
        raise ValidationError(f"{text[:40]!r} has an extension; an extension cannot receive texts. "
                              "Give a number that can (a mobile).", code="invalid")
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(f"{text[:40]!r} is not a valid phone number.", code="invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    return f"***{(e164 or '')[-4:]}"
