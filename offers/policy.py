"""Wave sizing: how many offers and how long a hold, given how much time is left.

Rule (docs/OFFER_ENGINE.md): `remaining` = time from now to the cutoff (slot start minus the
location's cutoff). With room for four default holds or more, a wave is OFFER_BATCH_SIZE offers held
OFFER_HOLD_MINUTES. With less, the hold shrinks to remaining/4 (never below OFFER_MIN_HOLD_MINUTES)
so about four waves still fit, and the wave grows in proportion (batch x default_hold / hold, at most
OFFER_MAX_BATCH_SIZE), keeping the offers-per-minute rate. A hold never ends after the cutoff; with
less than the minimum hold left, outreach ends (cutoff)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class WavePlan:
    batch: int
    hold: dt.timedelta
    expires_at: dt.datetime


def plan_wave(*, at: dt.datetime, deadline: dt.datetime) -> WavePlan | None:
    remaining = deadline - at
    default_hold = dt.timedelta(minutes=settings.OFFER_HOLD_MINUTES)
    min_hold = dt.timedelta(minutes=settings.OFFER_MIN_HOLD_MINUTES)
    if remaining < min_hold:
        return None
    hold = default_hold
    if remaining < 4 * default_hold:
        hold = max(min_hold, remaining / 4)
    hold = min(hold, remaining)
    base = settings.OFFER_BATCH_SIZE
    batch = min(settings.OFFER_MAX_BATCH_SIZE, max(base, math.ceil(base * default_hold / hold)))
    # whole seconds keep "reply by" times honest
    hold = dt.timedelta(seconds=int(hold.total_seconds()))
    return WavePlan(batch=batch, hold=hold, expires_at=at + hold)
