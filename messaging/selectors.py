"""Reads of the messaging app (for the staff board, the runbook and tests)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from clinicbot.clock import now

from .models import TERMINAL_FAILURES, Message, SenderHealth

# A send normally takes well under a second; a row still `sending` after this long was interrupted
# (a crash, an unknown outcome) and waits for a human: it is never resent automatically.
STUCK_AFTER = dt.timedelta(minutes=2)


def messages_stuck_sending(*, at: dt.datetime | None = None) -> QuerySet[Message]:
    at = at or now()
    return (
        Message.objects.filter(send_state=Message.SendState.SENDING)
        .filter(Q(sending_at__lt=at - STUCK_AFTER) | ~Q(needs_attention=""))
        .select_related("phone")
        .order_by("sending_at")
    )


def messages_needing_attention(*, at: dt.datetime | None = None) -> QuerySet[Message]:
    """What a human should look at: flagged texts (unrecognised, wrong number, a YES from an opted-out
    number, a send with an unknown outcome), stuck sends and failed sends, newest first, until a
    person marks them handled (`services.message_flag_clear`)."""
    return Message.objects.filter(_attention(at or now())).select_related("phone").order_by("-created_at", "-id")


def _attention(at: dt.datetime) -> Q:
    flagged = ~Q(needs_attention="")
    stuck = Q(send_state=Message.SendState.SENDING, sending_at__lt=at - STUCK_AFTER)
    # a send that failed, or a text the provider accepted and later reported undelivered (30003,
    # 30005, 30007 ... arrive only by status callback): the runbook tells staff what each needs
    failed = (
        Q(send_state=Message.SendState.FAILED) | Q(send_state=Message.SendState.SENT, status__in=TERMINAL_FAILURES)
    ) & Q(created_at__gte=at - dt.timedelta(days=1))
    return (flagged | stuck | failed) & Q(attention_cleared_at__isnull=True)


def needs_attention_now(*, message_id: int, at: dt.datetime | None = None) -> QuerySet[Message]:
    """The message, if it is among those a person should look at (what may be marked handled)."""
    return Message.objects.filter(_attention(at or now()), pk=message_id)


def sender_health() -> SenderHealth:
    return SenderHealth.objects.get_or_create(pk=1)[0]
