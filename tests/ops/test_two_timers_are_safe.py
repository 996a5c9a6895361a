"""DEPLOYMENT.md claims nothing must be unique: two timers (one per node) may tick at the same moment.
These races run on real PostgreSQL, each thread on its own connection, released by a barrier."""

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.db import connection

from clinicbot.clock import now
from core.models import AuditEvent
from messaging import services as messaging
from messaging.models import Message
from offers import services
from offers.models import Cancellation, Offer
from tests import factories as f
from tests.conftest import T0
from waitlist.models import WaitlistEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(fn, threads: int = 2) -> list:
    barrier = threading.Barrier(threads)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
    assert not errors, errors
    return results


def _audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def test_two_timers_start_each_wave_once_and_expire_each_hold_once(clock, sms):
    # logged before the sending window opens, so no wave starts until a timer ticks
    clock.set((T0 - dt.timedelta(hours=3)).astimezone(dt.UTC))
    loc = f.location()
    prov = f.provider(loc)
    for _ in range(5):
        f.entry(f.patient())
    c = f.cancellation(prov, loc, T0 + dt.timedelta(hours=6))
    assert Offer.objects.count() == 0 and c.next_wave_at > now()

    clock.set(c.next_wave_at + dt.timedelta(seconds=1))
    _race(services.engine_tick)
    c.refresh_from_db()
    assert c.current_wave == 1 and _audits("cancellation.wave") == 1
    first_wave = list(Offer.objects.filter(cancellation=c))
    assert len(first_wave) == settings.OFFER_BATCH_SIZE == 3
    assert sorted(s.to for s in sms.sent) == sorted(o.phone.e164 for o in first_wave)

    clock.set(max(o.expires_at for o in first_wave) + dt.timedelta(seconds=settings.OFFER_EXPIRY_GRACE_SECONDS + 1))
    _race(services.engine_tick)
    assert _audits("offer.expired") == 3
    assert sorted(WaitlistEntry.objects.filter(offers__cancellation=c, offers__wave=1)
                  .values_list("consecutive_no_reply", flat=True)) == [1, 1, 1]
    c.refresh_from_db()
    assert c.current_wave == 2 and _audits("cancellation.wave") == 2
    assert Offer.objects.filter(cancellation=c, wave=2, status="pending").count() == 2
    assert len(sms.sent) == 5 and len({s.to for s in sms.sent}) == 5
    assert c.status == Cancellation.Status.OFFERING


def test_two_sweepers_send_each_lost_text_once(clock, sms):
    # queued texts whose send tasks were lost (a broker restart): both sweepers enqueue them again
    phones = [messaging.phone_get_or_create(raw=f.phone_number()) for _ in range(4)]
    for phone in phones:
        Message.objects.create(
            direction="outbound", phone=phone, body="hello", kind="generic", send_state="queued",
            created_at=now() - dt.timedelta(minutes=2),
        )
    _race(services.sweep)
    assert sorted(s.to for s in sms.sent) == sorted(p.e164 for p in phones)
    assert set(Message.objects.values_list("send_state", "attempts")) == {("sent", 1)}
