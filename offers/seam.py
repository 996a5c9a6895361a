"""The engine's side of messaging's seam (`messaging.seam.MessagingEvents`), named in settings as
MESSAGING_EVENT_HANDLER. Parses nothing: messaging hands over an already parsed reply."""

from __future__ import annotations

import datetime as dt

from clinicbot.clock import now
from messaging.grammar import Intent

from . import services
from .models import Offer, OfferMessage
from .selectors import offer_for_reply

# a reply about an offer that ended longer ago than this gets the generic line instead
LATE_REPLY_WINDOW = dt.timedelta(days=2)


class OfferEvents:
    def on_reply(self, *, message, parsed) -> bool:
        offer = offer_for_reply(phone_id=message.phone_id, received_at=message.created_at)
        if offer is None:
            return False
        pending = offer.status == Offer.Status.PENDING
        if not pending and (offer.ended_at or offer.sent_at) < now() - LATE_REPLY_WINDOW:
            return False
        if parsed.intent == Intent.ACCEPT:
            services.offer_accept(offer_id=offer.pk, received_at=message.created_at, message=message)
            return True
        if parsed.intent == Intent.DECLINE:
            if pending:
                services.offer_decline(offer_id=offer.pk, message=message)
            # a NO after the offer ended needs no answer
            return True
        if pending:
            services.offer_clarify(offer_id=offer.pk, message=message)
            return True
        return False

    def on_opt_out(self, *, phone, actor) -> None:
        services.offers_withdraw_for_phone(phone_id=phone.pk, actor=actor)

    def on_delivery_failed(self, *, message) -> None:
        link = OfferMessage.objects.filter(message_id=message.pk, role="offer").first()
        if link is not None:
            services.offer_mark_undeliverable(offer_id=link.offer_id)
