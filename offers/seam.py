"""The engine's side of messaging's seam (`messaging.seam.MessagingEvents`), named in settings as
MESSAGING_EVENT_HANDLER. Parses nothing: messaging hands over an already parsed reply."""

from __future__ import annotations

import datetime as dt

from clinicbot.clock import now
from messaging.grammar import Intent

from . import services
from .models import Offer, OfferMessage
from .selectors import offer_for_reply, offer_outcome_told

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
            if not pending and parsed.acknowledgement and offer_outcome_told(offer_id=offer.pk):
                # "ok thanks" to our news about an ended offer ("that opening was just taken") asks
                # for nothing: answering it would repeat the news, or book nothing and say so
                return True
            services.offer_accept(offer_id=offer.pk, received_at=message.created_at, message=message)
            return True
        if parsed.intent == Intent.DECLINE:
            if pending:
                services.offer_decline(offer_id=offer.pk, message=message)
                return True
            # A NO after any other ended offer needs no answer. From the patient booked into the slot
            # it may mean they cannot come: not handled here, so messaging flags it for a person and
            # gives the clinic's number.
            return offer.status != Offer.Status.ACCEPTED
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
