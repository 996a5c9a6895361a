import datetime as dt

import pytest

from messaging.models import Message
from offers import services
from offers.models import Cancellation, Offer
from tests import factories as f
from tests.conftest import T0

pytestmark = pytest.mark.django_db


def test_first_yes_books_the_slot_and_others_hear_it_is_taken(clock, sms, settle):
    loc = f.location()
    prov = f.provider(loc)
    patients = [f.patient() for _ in range(3)]
    for p in patients:
        f.entry(p)
    c = f.cancellation(prov, loc, T0 + dt.timedelta(hours=5))
    settle()
    c.refresh_from_db()
    assert c.status == Cancellation.Status.OFFERING
    offers = list(Offer.objects.filter(cancellation=c))
    assert len(offers) == 3
    assert len(sms.sent) == 3
    assert all("Reply YES by 10:07 AM" in s.body for s in sms.sent)

    winner = offers[0]
    from messaging import services as messaging

    msg, _ = messaging.inbound_record(params={"MessageSid": "SM" + "1" * 32, "From": winner.phone.e164, "Body": "Yes!"})
    messaging.inbound_process(message_id=msg.pk)
    settle()
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED
    assert c.filled_offer_id == winner.pk
    statuses = sorted(Offer.objects.filter(cancellation=c).values_list("status", flat=True))
    assert statuses == ["accepted", "superseded", "superseded"]
    assert "you are booked" in sms.bodies_to(winner.phone.e164)[-1]
    for other in offers[1:]:
        assert "just taken" in sms.bodies_to(other.phone.e164)[-1]
    assert Message.objects.filter(direction="outbound", status="delivered").count() == 6
    services.sweep()
