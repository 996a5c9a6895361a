"""A reply whose processing fails every time (a bug, a row it trips on) used to be retried by the
sweeper every 15 seconds for ever, seen only in the logs: the patient's YES was never acted on and
nobody knew. After three failed tries it is flagged on the board and no longer retried, and it never
holds up the texts behind it."""

import pytest
from django.db import connection

from messaging import services
from messaging.models import Message
from messaging.selectors import messages_needing_attention
from offers import services as offers

from .twilio_requests import INBOUND, inbound_params, post_signed

pytestmark = pytest.mark.django_db
NUMBER = "+13125551801"


@pytest.fixture
def broken(monkeypatch):
    """Processing fails for texts whose body says so; every other text is processed normally."""
    real = services._inbound_process_one

    def process(*, message_id):
        if Message.objects.get(pk=message_id).body == "BREAKS":
            raise RuntimeError("a bug")
        return real(message_id=message_id)

    monkeypatch.setattr(services, "_inbound_process_one", process)


def _stored(client, body: str) -> Message:
    post_signed(client, INBOUND, inbound_params(NUMBER, body))
    connection.run_on_commit = []  # the processing task is lost: the sweeper is the one that tries
    return Message.objects.filter(direction="inbound").latest("pk")


def test_after_three_failed_tries_the_text_is_flagged_and_left_alone(client, clock, broken):
    message = _stored(client, "BREAKS")
    for _ in range(3):
        clock.advance(seconds=15)
        offers.sweep()
    message.refresh_from_db()
    assert message.needs_attention == "processing_failed" and message.processed_at is not None
    assert message in messages_needing_attention()
    clock.advance(seconds=15)
    assert message.pk not in services.inbound_unprocessed(older_than=clock())


def test_a_failing_text_does_not_hold_up_the_next_from_the_same_number(client, clock, broken):
    _stored(client, "BREAKS")
    later = _stored(client, "HELP")
    clock.advance(seconds=15)
    offers.sweep()
    later.refresh_from_db()
    assert later.processed_at is not None and later.intent == "help"
