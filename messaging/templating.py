"""SMS texts are Django templates under templates/sms/<language>/<name>.txt.

Whitespace is collapsed so templates can be written readably; the version recorded on each
message is a hash of the template source, so a changed wording is traceable without bookkeeping."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.template.loader import get_template

from .encoding import analyse

LANGUAGES = ("en", "es")


@dataclass(frozen=True)
class Rendered:
    body: str
    template: str
    version: str
    language: str
    encoding: str
    segments: int


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


