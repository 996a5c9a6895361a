"""Reads of the live board: what every open slot is doing and what needs a human, right now.

Each list is bounded (the board is a glance, not a report) and every time comes from
`clinicbot.clock.now()`, so tests can freeze it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q

from clinicbot.clock import now
from messaging.models import ConsentEvent, Message, SenderHealth
from messaging.selectors import messages_needing_attention

from .models import Cancellation, Offer

RECENT = dt.timedelta(hours=24)
LIMIT = 100


@dataclass
class AttentionItem:
    message: Message
    why: str
    can_clear: bool


@dataclass
class Board:
    at: dt.datetime
    open_slots: list[Cancellation] = field(default_factory=list)
    pending_offers: list[Offer] = field(default_factory=list)
    awaiting_ehr: list[Cancellation] = field(default_factory=list)
    unfilled: list[Cancellation] = field(default_factory=list)
    attention: list[AttentionItem] = field(default_factory=list)
    opt_outs_today: list[ConsentEvent] = field(default_factory=list)
    sender: SenderHealth | None = None
    filled_today: int = 0

    @property
    def counts(self) -> dict[str, int]:
        return {
            "open": len(self.open_slots),
            "pending": len(self.pending_offers),
            "filled_today": self.filled_today,
            "awaiting_ehr": len(self.awaiting_ehr),
            "overdue_ehr": sum(1 for c in self.awaiting_ehr if c.ehr_overdue),
            "unfilled": len(self.unfilled),
            "attention": len(self.attention),
            "opt_outs_today": len(self.opt_outs_today),
        }


def clinic_day_start(at: dt.datetime) -> dt.datetime:
    """Midnight of today in the clinic's time zone ("opt-outs today")."""
    local = at.astimezone(zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def top_exclusion(summary: dict | None) -> tuple[str, int] | None:
    """The rule that excluded the most entries from an unfilled slot."""
    counts = [(name, n) for name, n in (summary or {}).items() if isinstance(n, int) and n > 0]
    if not counts:
        return None
    return max(counts, key=lambda item: (item[1], item[0]))


def _slots(**filters):
    return Cancellation.objects.filter(**filters).select_related("provider", "location", "appointment_type")


def open_slots() -> list[Cancellation]:
    return list(
        _slots(status__in=Cancellation.ACTIVE)
        .annotate(
            pending_count=Count("offers", filter=Q(offers__status=Offer.Status.PENDING)),
            offers_count=Count("offers"),
        )
        .order_by("start_at")[:LIMIT]
    )


def pending_offers() -> list[Offer]:
    return list(
        Offer.objects.filter(status=Offer.Status.PENDING)
        .select_related("patient", "phone", "entry", "cancellation__provider", "cancellation__location")
        .order_by("expires_at", "pk")[:LIMIT * 2]
    )


def awaiting_ehr(*, at: dt.datetime) -> list[Cancellation]:
    overdue_before = at - dt.timedelta(minutes=settings.EHR_FOLLOWUP_OVERDUE_MINUTES)
    slots = list(
        _slots(status=Cancellation.Status.FILLED)
        .filter(Q(ehr_booked_at__isnull=True) | Q(ehr_released_at__isnull=True))
        .select_related("filled_offer__patient")
        .order_by("filled_at")[:LIMIT]
    )
    for c in slots:
        c.ehr_overdue = c.filled_at <= overdue_before
    return slots


def unfilled(*, at: dt.datetime) -> list[Cancellation]:
    slots = list(_slots(status=Cancellation.Status.UNFILLED, ended_at__gte=at - RECENT).order_by("-ended_at")[:LIMIT])
    for c in slots:
        c.top_exclusion = top_exclusion(c.exclusion_summary)
    return slots


ATTENTION_LABELS = {"wrong_number": "wrong number", "unrecognised": "unrecognised reply",
                    "processing_failed": "reply not acted on (failed 3 times)"}


def _why(m: Message) -> str:
    if m.send_state == Message.SendState.SENDING:
        return "stuck sending"
    if m.needs_attention and m.attention_cleared_at is None:
        return ATTENTION_LABELS.get(m.needs_attention, m.needs_attention.replace("_", " "))
    if m.send_state == Message.SendState.FAILED:
        return f"send failed ({m.error_code or 'no code'})"
    return m.needs_attention.replace("_", " ") or "check"


def needs_attention(*, at: dt.datetime) -> list[AttentionItem]:
    """Texts a person has to look at (messaging's one definition): replies the engine could not
    understand or that say "wrong number", sends that failed, and sends stuck half-way (never resent
    silently)."""
    rows = messages_needing_attention(at=at).select_related("phone", "patient")[:LIMIT]
    return [
        AttentionItem(m, _why(m), m.attention_cleared_at is None)
        for m in rows
    ]


def opt_outs_today(*, at: dt.datetime) -> list[ConsentEvent]:
    return list(
        ConsentEvent.objects.filter(kind=ConsentEvent.Kind.OPT_OUT, at__gte=clinic_day_start(at))
        .select_related("phone")
        .order_by("-at")[:LIMIT]
    )


def board_snapshot(*, at: dt.datetime | None = None) -> Board:
    at = at or now()
    return Board(
        at=at,
        open_slots=open_slots(),
        pending_offers=pending_offers(),
        awaiting_ehr=awaiting_ehr(at=at),
        unfilled=unfilled(at=at),
        attention=needs_attention(at=at),
        opt_outs_today=opt_outs_today(at=at),
        sender=SenderHealth.objects.filter(pk=1).select_related("last_failed_phone").first(),
        filled_today=Cancellation.objects.filter(
            status=Cancellation.Status.FILLED, filled_at__gte=clinic_day_start(at)
        ).count(),
    )
