"""A signed webhook captured and sent again (a replay, or Twilio's own retry) changes nothing: no
second message row, no second reply, no state change, no audit row."""

import datetime as dt

import pytest

from core.models import AuditEvent
from messaging.models import ConsentEvent, Message, PhoneNumber, StatusEvent
from offers.models import Cancellation, Offer
from tests import factories as f
from tests.conftest import T0

from .conftest import INBOUND, STATUS

pytestmark = pytest.mark.django_db


def _state(sms):
    return {
        "messages": list(Message.objects.order_by("pk").values_list("pk", "status", "intent", "processed_at")),
        "offers": list(Offer.objects.order_by("pk").values_list("pk", "status")),
        "cancellations": list(Cancellation.objects.order_by("pk").values_list("pk", "status")),
        "phones": list(PhoneNumber.objects.order_by("pk").values_list("pk", "opted_out")),
        "consent": ConsentEvent.objects.count(),
        "status_events": StatusEvent.objects.count(),
        "audit": AuditEvent.objects.count(),
        "sent": len(sms.sent),
    }


def test_a_replayed_yes_changes_nothing(clock, sms, settle, post_signed):
    loc = f.location()
    prov = f.provider(loc)
    for _ in range(2):
        f.entry(f.patient())
    c = f.cancellation(prov, loc, T0 + dt.timedelta(hours=5))
    settle()
    offer = Offer.objects.filter(cancellation=c).first()
    yes = {"MessageSid": "SM" + "c" * 32, "From": offer.phone.e164, "Body": "YES"}
    assert post_signed(INBOUND, yes).status_code == 200
    settle()
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED
    before = _state(sms)
    clock.advance(minutes=1)
    assert post_signed(INBOUND, yes).status_code == 200
    settle()
    assert _state(sms) == before


def test_a_replayed_stop_and_status_callback_change_nothing(clock, sms, settle, post_signed):
    patient = f.patient()
    stop = {"MessageSid": "SM" + "d" * 32, "From": patient.phone.e164, "Body": "STOP"}
    post_signed(INBOUND, stop)
    settle()
    confirmation = Message.objects.get(direction="outbound", kind="opt_out_confirm")
    status = {"MessageSid": confirmation.provider_sid, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    post_signed(STATUS, status)
    settle()
    before = _state(sms)
    for _ in range(2):
        assert post_signed(INBOUND, stop).status_code == 200
        assert post_signed(STATUS, status).status_code == 200
    settle()
    assert _state(sms) == before
