"""Log hygiene: phone numbers are masked to their last 4 digits before any handler sees them."""

from __future__ import annotations

import logging
import re

# E.164 or loosely formatted NANP numbers: 7+ digits with optional separators.
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\-\s().]{6,}\d(?![\w])")


def mask_phone(value: str | None) -> str:
    digits = re.sub(r"\D", "", value or "")
    return f"***{digits[-4:]}" if digits else "***"


def _mask_text(text: str) -> str:
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


class MaskPhoneFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format must not drop the record
            return True
        masked = _mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
