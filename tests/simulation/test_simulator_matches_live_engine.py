"""The simulator drives the engine the live system runs. For a small scripted morning, the offers,
texts and outcomes it produces are those of the live path: slots logged through the service,
replies posted as signed Twilio webhooks, and a timer ticking every second."""

import datetime as dt
from urllib.parse import urlencode

import pytest

from messaging.models import Message
from offers import services
from offers import simulation as sim
from offers.models import Cancellation, Offer
from tests import factories as f
from tests.conftest import T0
from tests.messaging.twilio_requests import INBOUND, inbound_params, post_form

pytestmark = pytest.mark.django_db(transaction=True)

PHONES = [f"+1312555{7100 + i:04d}" for i in range(12)]
MIN = dt.timedelta(minutes=1)
# slot A at 15:00 is logged at 10:00; slot B at 11:40 is logged at 10:20, only 20 minutes before
# its cutoff, so its hold shrinks to 5 minutes and its wave grows to 5 offers
SLOTS = [("A", T0, T0 + dt.timedelta(hours=5)), ("B", T0 + 20 * MIN, T0 + dt.timedelta(hours=1, minutes=40))]
SCRIPT = [
    (T0 + 2 * MIN, 0, "No thanks"),  # declines slot A in wave 1
    (T0 + 10 * MIN + dt.timedelta(seconds=1), 4, "STOP"),  # opts out during wave 2
    (T0 + 12 * MIN + dt.timedelta(seconds=31), 3, "Yes"),  # wins slot A in wave 2
    (T0 + 24 * MIN, 7, "YES"),  # wins slot B
    (T0 + 26 * MIN, 2, "yes"),  # too late for slot A: hears it was taken
]
END = T0 + 27 * MIN  # the last text is at 26 minutes


def _clinic():
    loc = f.location()
    atype = f.appointment_type()
    prov = f.provider(loc, types=[atype], name="Dr. Script")
    for i, phone in enumerate(PHONES):
        # one score for all, so the list is ordered by time on the list
        f.entry(f.patient(phone=phone, last=f"Script{i}"), atype,
                joined_at=T0 - dt.timedelta(days=20) + i * MIN)
    return loc, prov, atype


def _observed():
    offers = [
        (o.cancellation.start_at, o.wave, o.phone.e164, o.status, o.sent_at, o.expires_at, o.ended_at)
        for o in Offer.objects.select_related("cancellation", "phone")
    ]
    texts = [
        (m.phone.e164, m.kind, m.created_at)
        for m in Message.objects.filter(direction=Message.Direction.OUTBOUND).select_related("phone")
    ]
    slots = [(c.start_at, c.status, c.end_reason, c.filled_at, c.current_wave) for c in Cancellation.objects.all()]
    return sorted(offers), sorted(texts), sorted(slots)


def _simulated():
    loc, prov, atype = _clinic()
    events = [sim.SlotEvent(key, logged, prov.pk, loc.pk, atype.pk, start, 20) for key, logged, start in SLOTS]
    ours = sim.Policy("ours", "ours", None, None, adaptive=True, timer_seconds=1.0)
    sim.Simulation(
        policy=ours, slots=events, responder=sim.Responder(), start=T0,
        scripted_replies=[(at, PHONES[i], body) for at, i, body in SCRIPT],
    ).run()
    return _observed()


def _live(clock, client):
    loc, prov, atype = _clinic()
    due = {}
    for _key, logged, start in SLOTS:
        due.setdefault(logged, []).append(("slot", start))
    for at, i, body in SCRIPT:
        due.setdefault(at, []).append(("text", (PHONES[i], body)))
    at = T0
    while at <= END:
        clock.set(at)
        services.engine_tick()  # the timer process, once a second
        for kind, what in due.get(at, []):
            if kind == "slot":
                f.cancellation(prov, loc, what, atype=atype)
            else:
                response = post_form(client, INBOUND, urlencode(inbound_params(*what)))
                assert response.status_code == 200
        at += dt.timedelta(seconds=1)
    return _observed()


def test_the_simulator_and_the_live_path_make_the_same_offers_and_texts(clock, client):
    simulated = _simulated()
    sim.database_flush()
    live = _live(clock, client)

    assert simulated == live
    offers, texts, slots = simulated
    # the script played out as intended: A filled in wave 2, B in its one enlarged wave
    assert [(status, reason, wave) for _s, status, reason, _f, wave in slots] == [
        ("filled", "accepted", 1), ("filled", "accepted", 2)
    ]
    assert sum(1 for o in offers if o[0] == SLOTS[1][2]) == 5
    assert ("+13125557102", "taken", T0 + 26 * MIN) in texts
