"""Builders shared by the offer-engine tests: a clinic, a slot that has not started outreach yet,
and a patient's text going through the same code the webhook runs."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import zoneinfo
from dataclasses import dataclass

from django.db import connection

from messaging import services as messaging
from messaging.models import Message
from offers.models import Cancellation, Offer
from offers.selectors import eligible_entries
from tests import factories as f
from waitlist.models import AppointmentType, Location, Provider

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
# Thursday 2026-11-26 14:00 Chicago: a day after the frozen clock's T0, inside every default rule
SLOT_AT = dt.datetime(2026, 11, 26, 14, 0, tzinfo=CHICAGO)
_sids = itertools.count(1)


@dataclass
class Clinic:
    location: Location
    provider: Provider
    atype: AppointmentType


def clinic(**location_fields) -> Clinic:
    loc = f.location(**location_fields)
    atype = f.appointment_type()
    return Clinic(location=loc, provider=f.provider(loc, types=[atype]), atype=atype)


def waiting(n: int = 1, **entry_fields) -> list:
    """n patients, each with their own consented number and one active entry."""
    return [f.entry(f.patient(), **entry_fields) for _ in range(n)]


def slot(cl: Clinic, start_at: dt.datetime = SLOT_AT, duration: int = 20, provider=None) -> Cancellation:
    return f.cancellation(provider or cl.provider, cl.location, start_at, atype=cl.atype, duration=duration)


def eligible_ids(c: Cancellation, at: dt.datetime | None = None) -> set[int]:
    c = Cancellation.objects.select_related("location", "provider").get(pk=c.pk)
    from clinicbot.clock import now

    return set(eligible_entries(cancellation=c, at=at or now()).values_list("pk", flat=True))


def text_in(e164: str, body: str) -> str:
    """A patient's text, stored and processed as the inbound webhook does."""
    message, _ = messaging.inbound_record(
        params={"MessageSid": f"SM{next(_sids):032x}", "From": e164, "Body": body}
    )
    return messaging.inbound_process(message_id=message.pk)


def pending(c: Cancellation) -> list[Offer]:
    return list(Offer.objects.filter(cancellation=c, status=Offer.Status.PENDING).select_related("phone"))


def outbound(e164: str, kind: str | None = None):
    qs = Message.objects.filter(direction="outbound", phone__e164=e164)
    return qs.filter(kind=kind) if kind else qs


def offer_texts_since(sms, count_before: int) -> list:
    return [s for s in sms.sent[count_before:] if "Reply YES" in s.body]


def run_together(*jobs, timeout: float = 30.0) -> list:
    """Run each job in its own thread with its own database connection, released together by a
    barrier. Returns each job's result (or the exception it raised)."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=timeout)
            results[i] = job()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test to assert on
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung (a deadlock or a lost lock?)"
    return results

