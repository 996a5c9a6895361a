"""The one seam between the wire and the offer engine.

messaging parses replies, keeps consent and tracks delivery; what a reply *means* for an offer is
decided by the engine. messaging never imports offers: the handler class is named in settings
(`MESSAGING_EVENT_HANDLER`) and called through this protocol."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from core.actors import Actor

    from .grammar import ParsedReply
    from .models import Message, PhoneNumber


class MessagingEvents(Protocol):
    def on_reply(self, *, message: Message, parsed: ParsedReply) -> bool:
        """An accept, decline or unrecognised text. True when the engine answered it (an offer was
        involved); False leaves messaging to send its generic line."""

    def on_opt_out(self, *, phone: PhoneNumber, actor: Actor) -> None:
        """The number opted out: withdraw whatever is pending to it."""

    def on_delivery_failed(self, *, message: Message) -> None:
        """An outbound text failed for good (at send time or by a status callback)."""


class NoEvents:
    def on_reply(self, *, message, parsed):
        return False

    def on_opt_out(self, *, phone, actor):
        return None

    def on_delivery_failed(self, *, message):
        return None


@lru_cache(maxsize=1)
def events() -> MessagingEvents:
    path = getattr(settings, "MESSAGING_EVENT_HANDLER", "")
    return import_string(path)() if path else NoEvents()
