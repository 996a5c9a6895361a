"""The inbound webhook stores the text and answers Twilio at once; a worker acts on it after
commit (a YES books, a HELP is answered through the outbox). An opt-out is the exception: it takes
effect before the answer. The request itself costs one INSERT (which looks the number up)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging.models import Message, PhoneNumber
from offers.models import Cancellation, Offer

from .scenarios import slot_with_offers
from .twilio_requests import INBOUND, inbound_params, post_signed

pytestmark = pytest.mark.django_db


def test_a_yes_is_stored_and_answered_then_a_worker_books_it(client, clock, sms, settle):
    c, [offer] = slot_with_offers(settle)
    sent_before = len(sms.sent)
    response = post_signed(client, INBOUND, inbound_params(offer.phone.e164, "YES"))
    assert response.status_code == 200
    message = Message.objects.get(direction="inbound")
    assert message.processed_at is None  # not acted on in the request ...
    assert Offer.objects.get(pk=offer.pk).status == Offer.Status.PENDING
    assert len(sms.sent) == sent_before
    settle()  # ... but by the task it enqueued after commit
    message.refresh_from_db()
    assert message.processed_at is not None and message.intent == "accept"
    assert message.patient_id == offer.patient_id
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED
    assert any("you are booked" in body for body in sms.bodies_to(offer.phone.e164))


def test_the_request_from_a_known_number_costs_one_insert(client, clock, settle):
    c, [offer] = slot_with_offers(settle)
    with CaptureQueriesContext(connection) as queries:
        post_signed(client, INBOUND, inbound_params(offer.phone.e164, "YES"))
    # the test wraps each test in a transaction, so the insert runs in a savepoint here; in the
    # webhook's autocommit it is one statement, which looks the number up itself
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1, statements
    assert statements[0].startswith("INSERT") and "messaging_message" in statements[0]
    assert "messaging_phonenumber" in statements[0]
    assert Message.objects.get(direction="inbound").phone_id == offer.phone_id


def test_a_text_from_an_unknown_number_creates_the_number_and_is_stored_once(client, clock, settle):
    params = inbound_params("+13125550188", "hello?")
    assert post_signed(client, INBOUND, params).status_code == 200
    assert post_signed(client, INBOUND, params).status_code == 200  # Twilio's retry
    [message] = Message.objects.filter(direction="inbound")
    assert message.phone == PhoneNumber.objects.get(e164="+13125550188")


def test_a_stop_takes_effect_before_the_answer(client, clock, sms, settle):
    c, [offer] = slot_with_offers(settle)
    post_signed(client, INBOUND, inbound_params(offer.phone.e164, "stop texting me"))
    # no worker has run: the opt-out and the withdrawal of the pending offer are already recorded
    assert PhoneNumber.objects.get(pk=offer.phone_id).opted_out
    assert Offer.objects.get(pk=offer.pk).status != Offer.Status.PENDING
    assert Message.objects.get(direction="inbound").processed_at is not None
    settle()  # the confirmation leaves through the outbox
    assert "you are unsubscribed" in sms.bodies_to(offer.phone.e164)[-1]


def test_a_replay_of_a_stored_but_unprocessed_text_enqueues_it_again(client, clock, sms, settle):
    params = inbound_params("+13125550160", "HELP")
    post_signed(client, INBOUND, params)
    connection.run_on_commit = []  # the first delivery's task was lost
    post_signed(client, INBOUND, params)  # Twilio retries
    settle()
    message = Message.objects.get(direction="inbound")
    assert message.processed_at is not None and message.intent == "help"
    assert len(sms.bodies_to("+13125550160")) == 1
