"""Status callbacks come late, twice and out of order: a message's delivery status only moves
forward (delivered / undelivered / failed / canceled never regress), each (sid, status) counts
once, and a failure's error code is stored."""

import pytest

from messaging import backends, services
from messaging.backends import SendResult
from messaging.models import Message, StatusEvent

from .twilio_requests import STATUS, new_sid, post_signed, status_params

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(sms, settle, clock):
    # Twilio's part (the callbacks) is played by each test, not by the recording backend
    sms.plays_provider = False
    phone = services.phone_get_or_create(raw="+13125550150")
    message = services.message_enqueue(phone=phone, template="help")
    settle()
    message.refresh_from_db()
    assert message.send_state == Message.SendState.SENT and message.status == "queued"
    return message


def _callback(client, message, status, error_code=""):
    response = post_signed(client, STATUS, status_params(message.provider_sid, status, error_code))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    message.refresh_from_db()
    return message.status


def test_callbacks_in_order_walk_the_message_to_delivered(client, sent):
    assert [_callback(client, sent, s) for s in ("sending", "sent", "delivered")] == ["sending", "sent", "delivered"]


def test_a_late_sent_or_queued_callback_does_not_undo_delivered(client, sent):
    _callback(client, sent, "delivered")
    assert _callback(client, sent, "sent") == "delivered"
    assert _callback(client, sent, "sending") == "delivered"
    assert _callback(client, sent, "queued") == "delivered"
    # every callback is still on record
    assert StatusEvent.objects.filter(message=sent).count() == 4


@pytest.mark.parametrize(
    "first, second",
    [("delivered", "undelivered"), ("undelivered", "delivered"), ("failed", "delivered"),
     ("delivered", "failed"), ("canceled", "delivered"), ("undelivered", "failed")],
)
def test_a_final_status_is_never_overwritten_by_another(client, sent, first, second):
    _callback(client, sent, first, "30003" if first in ("undelivered", "failed") else "")
    assert _callback(client, sent, second, "30005" if second in ("undelivered", "failed") else "") == first


def test_a_duplicate_callback_is_stored_once_and_changes_nothing(client, sent):
    _callback(client, sent, "delivered")
    status_at = sent.status_at
    _callback(client, sent, "delivered")
    assert StatusEvent.objects.filter(provider_sid=sent.provider_sid, status="delivered").count() == 1
    assert sent.status_at == status_at


def test_the_error_code_of_a_failure_is_stored(client, sent):
    assert _callback(client, sent, "undelivered", "30003") == "undelivered"
    assert sent.error_code == "30003"
    assert StatusEvent.objects.get(provider_sid=sent.provider_sid, status="undelivered").error_code == "30003"


def test_a_late_failure_after_delivery_does_not_change_the_error_code(client, sent):
    _callback(client, sent, "delivered")
    _callback(client, sent, "failed", "30008")
    assert (sent.status, sent.error_code) == ("delivered", "")


def test_read_follows_delivered_but_never_a_failure(client, sent):
    _callback(client, sent, "delivered")
    assert _callback(client, sent, "read") == "read"
    assert _callback(client, sent, "delivered") == "read"


def test_a_failed_message_is_never_marked_read(client, sent):
    _callback(client, sent, "failed", "30008")
    assert _callback(client, sent, "read") == "failed"


def test_an_unknown_status_is_kept_but_moves_nothing(client, sent):
    _callback(client, sent, "sent")
    assert _callback(client, sent, "teleported") == "sent"
    assert StatusEvent.objects.filter(status="teleported").exists()


def test_a_callback_for_a_sid_we_never_sent_is_answered_and_kept(client):
    sid = new_sid()
    response = post_signed(client, STATUS, status_params(sid, "delivered"))
    assert response.status_code == 200
    event = StatusEvent.objects.get(provider_sid=sid)
    assert event.message is None


def test_a_callback_that_beats_the_api_answer_is_applied_once_the_sid_is_known(client, settle, clock):
    class CallbackFirst:
        """Twilio's status callback reaches us before its answer to the create request does."""

        plays_provider = False

        def send(self, sms):
            sid = new_sid()
            assert post_signed(client, STATUS, status_params(sid, "undelivered", "30003")).status_code == 200
            return SendResult(ok=True, sid=sid, status="queued")

    backends.set_backend(CallbackFirst())
    phone = services.phone_get_or_create(raw="+13125550151")
    message = services.message_enqueue(phone=phone, template="help")
    settle()
    message.refresh_from_db()
    assert (message.send_state, message.status, message.error_code) == ("sent", "undelivered", "30003")
    assert StatusEvent.objects.get(provider_sid=message.provider_sid).message_id == message.pk


def test_a_signed_callback_without_a_status_is_400(client):
    params = status_params(new_sid(), "delivered")
    del params["MessageStatus"]
    assert post_signed(client, STATUS, params).status_code == 400
    assert not StatusEvent.objects.exists()
