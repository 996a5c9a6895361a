"""Reads of the live board: what every open slot is doing and what needs a human, right now.

Each list is bounded (the board is a glance, not a report), but the counts at the top are the true
totals: a list that reached its bound is counted in the database. Every time comes from
`clinicbot.clock.now()`, so tests can freeze it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q

from clinicbot.clock import now
from messaging.models import TERMINAL_FAILURES, ConsentEvent, Message, SenderHealth
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
    # true totals of the lists that reached their bound (a list shorter than its bound is complete)
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        shown = {
            "open": len(self.open_slots),
            "pending": len(self.pending_offers),
            "filled_today": self.filled_today,
            "awaiting_ehr": len(self.awaiting_ehr),
            "overdue_ehr": sum(1 for c in self.awaiting_ehr if c.ehr_overdue),
            "unfilled": len(self.unfilled),
            "attention": len(self.attention),
            "opt_outs_today": len(self.opt_outs_today),
        }
        return {**shown, **self.totals}


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


def _open_qs():
    return _slots(status__in=Cancellation.ACTIVE)


def _pending_qs():
    return Offer.objects.filter(status=Offer.Status.PENDING)


def _awaiting_ehr_qs():
    return Cancellation.objects.filter(status=Cancellation.Status.FILLED).filter(
        Q(ehr_booked_at__isnull=True) | Q(ehr_released_at__isnull=True)
    )


def _overdue_before(at: dt.datetime) -> dt.datetime:
    return at - dt.timedelta(minutes=settings.EHR_FOLLOWUP_OVERDUE_MINUTES)


def _unfilled_qs(at: dt.datetime):
    return Cancellation.objects.filter(status=Cancellation.Status.UNFILLED, ended_at__gte=at - RECENT)


def _opt_outs_qs(at: dt.datetime):
    return ConsentEvent.objects.filter(kind=ConsentEvent.Kind.OPT_OUT, at__gte=clinic_day_start(at))


def open_slots() -> list[Cancellation]:
    return list(
        _open_qs()
        .annotate(
            pending_count=Count("offers", filter=Q(offers__status=Offer.Status.PENDING)),
            offers_count=Count("offers"),
        )
        .order_by("start_at")[:LIMIT]
    )


def pending_offers() -> list[Offer]:
    return list(
        _pending_qs()
        .select_related("patient", "phone", "entry", "cancellation__provider", "cancellation__location")
        .order_by("expires_at", "pk")[:LIMIT * 2]
    )


def awaiting_ehr(*, at: dt.datetime) -> list[Cancellation]:
    overdue_before = _overdue_before(at)
    slots = list(
        _awaiting_ehr_qs()
        .select_related("provider", "location", "appointment_type", "filled_offer__patient")
        .order_by("filled_at")[:LIMIT]
    )
    for c in slots:
        c.ehr_overdue = c.filled_at <= overdue_before
    return slots


def unfilled(*, at: dt.datetime) -> list[Cancellation]:
    slots = list(
        _unfilled_qs(at).select_related("provider", "location", "appointment_type").order_by("-ended_at")[:LIMIT]
    )
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
    if m.status in TERMINAL_FAILURES:
        # accepted by Twilio, then reported undelivered by callback (30003, 30005, 30007 ...)
        return f"{m.status} ({m.error_code or 'no code'})"
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
        _opt_outs_qs(at)
        .select_related("phone")
        .order_by("-at")[:LIMIT]
    )


def _totals(board: Board, at: dt.datetime) -> dict[str, int]:
    """The true size of each list that reached its bound; a busy clinic must not read "100 open
    slots" when it has 250."""
    full = {
        "open": (board.open_slots, LIMIT, _open_qs),
        "pending": (board.pending_offers, LIMIT * 2, _pending_qs),
        "awaiting_ehr": (board.awaiting_ehr, LIMIT, _awaiting_ehr_qs),
        "unfilled": (board.unfilled, LIMIT, lambda: _unfilled_qs(at)),
        "attention": (board.attention, LIMIT, lambda: messages_needing_attention(at=at)),
        "opt_outs_today": (board.opt_outs_today, LIMIT, lambda: _opt_outs_qs(at)),
    }
    totals = {name: qs().count() for name, (rows, bound, qs) in full.items() if len(rows) >= bound}
    if "awaiting_ehr" in totals:
        totals["overdue_ehr"] = _awaiting_ehr_qs().filter(filled_at__lte=_overdue_before(at)).count()
    return totals


def board_snapshot(*, at: dt.datetime | None = None) -> Board:
    at = at or now()
    board = Board(
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
    board.totals = _totals(board, at)
    return board
