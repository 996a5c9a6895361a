"""Rate limits cap only auto-replies (per number and overall) so an auto-responder loop cannot run up
a bill. Every inbound text is still recorded and acted on: a YES or a STOP is never dropped, and
the first confirmation of a booking or an opt-out is always sent."""

import pytest

from messaging import services
from messaging.models import ConsentEvent, Message
from offers.models import Cancellation

from .scenarios import slot_with_offers
from .twilio_requests import text_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.AUTO_REPLY_RATE_PER_NUMBER = "3/h"
    settings.AUTO_REPLY_RATE_GLOBAL = "1000/m"
    return settings


def _replies_to(number):
    return Message.objects.filter(direction="outbound", phone__e164=number, is_auto_reply=True)


def test_a_flood_of_texts_is_all_recorded_and_acted_on_but_auto_replies_are_capped(client, clock, sms, settle, limits):
    number = "+13125550401"
    for i in range(20):
        assert text_in(client, number, "HELP" if i % 2 else "INFO").status_code == 200
    settle()
    inbound = Message.objects.filter(direction="inbound", phone__e164=number)
    assert inbound.count() == 20
    assert inbound.filter(processed_at__isnull=False, intent="help").count() == 20
    assert ConsentEvent.objects.filter(phone__e164=number, kind="help").count() == 20
    assert _replies_to(number).count() == 3
    assert len(sms.bodies_to(number)) == 3


def test_a_yes_after_a_flood_still_books_the_slot_and_is_confirmed(client, clock, sms, settle, limits):
    c, [offer] = slot_with_offers(settle)
    number = offer.phone.e164
    for _ in range(10):
        text_in(client, number, "HELP")
    text_in(client, number, "YES")
    settle()
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED and c.filled_offer_id == offer.pk
    assert any("you are booked" in body for body in sms.bodies_to(number))


def test_a_stop_after_a_flood_still_opts_out_and_is_confirmed(client, clock, sms, settle, limits):
    number = "+13125550402"
    for _ in range(10):
        text_in(client, number, "HELP")
    text_in(client, number, "STOP")
    settle()
    phone = services.phone_get_or_create(raw=number)
    assert phone.opted_out
    assert "unsubscribed" in sms.bodies_to(number)[-1]


def test_repeated_confirmations_in_a_loop_are_capped(client, clock, sms, settle, limits):
    c, [offer] = slot_with_offers(settle)
    number = offer.phone.e164
    # an auto-responder answering every text with "Yes" would otherwise loop on the confirmation
    for _ in range(12):
        text_in(client, number, "Yes")
    settle()
    confirmations = [b for b in sms.bodies_to(number) if "you are booked" in b]
    # the first confirmation, then only as many repeats as the per-number limit allows
    assert len(confirmations) == 1 + 3
    assert Message.objects.filter(direction="inbound", phone=offer.phone, processed_at__isnull=False).count() == 12


def test_the_overall_limit_caps_auto_replies_across_numbers(client, clock, sms, settle, settings):
    settings.AUTO_REPLY_RATE_PER_NUMBER = "100/h"
    settings.AUTO_REPLY_RATE_GLOBAL = "5/h"
    numbers = [f"+131255504{i:02d}" for i in range(10, 20)]
    for number in numbers:
        text_in(client, number, "HELP")
    settle()
    assert Message.objects.filter(direction="inbound", processed_at__isnull=False).count() == 10
    assert Message.objects.filter(direction="outbound", is_auto_reply=True).count() == 5


def test_outreach_is_never_limited_as_an_auto_reply(clock, sms, settle, limits):
    phone = services.phone_get_or_create(raw="+13125550403")
    for _ in range(6):
        assert services.message_enqueue(phone=phone, template="welcome") is not None
    settle()
    assert len(sms.bodies_to("+13125550403")) == 6


def test_a_limiter_that_cannot_count_drops_auto_replies_but_never_the_text(client, clock, sms, settle, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr("django_ratelimit.core.get_usage", broken)
    number = "+13125550404"
    text_in(client, number, "HELP")
    text_in(client, number, "STOP")
    settle()
    phone = services.phone_get_or_create(raw=number)
    assert Message.objects.filter(direction="inbound", phone=phone, processed_at__isnull=False).count() == 2
    assert phone.opted_out
    # the help reply is dropped; the opt-out confirmation is not subject to the limiter the first time
    assert [b for b in sms.bodies_to(number) if "Msg & data rates" in b] == []
    assert len([b for b in sms.bodies_to(number) if "unsubscribed" in b]) == 1
