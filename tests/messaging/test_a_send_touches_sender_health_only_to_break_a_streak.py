"""Every text passes through `message_send`, so each statement it runs is paid once per text (the fill
simulator sends about 130,000 per policy). The sender's state is read once per send, and a failure
streak is reset only when there is one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinicbot.clock import now
from messaging import backends, services
from messaging.backends import SendResult
from messaging.models import Message, SenderHealth

pytestmark = pytest.mark.django_db


class Accepting:
    plays_provider = False

    def __init__(self):
        self.sent = 0

    def send(self, sms):
        self.sent += 1
        return SendResult(ok=True, sid=f"SM{self.sent:032x}", status="")


@pytest.fixture
def provider():
    backend = Accepting()
    previous = backends._override
    backends.set_backend(backend)
    yield backend
    backends.set_backend(previous)


def _queued(number: str) -> Message:
    phone = services.phone_get_or_create(raw=number)
    # queued without sending: the test sends it itself, counting the statements
    return Message.objects.create(
        direction=Message.Direction.OUTBOUND, phone=phone, body="test", kind="help",
        send_state=Message.SendState.QUEUED, created_at=now(),
    )


def _statements_of_send(message: Message) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert services.message_send(message_id=message.pk) == "sent"
    return [q["sql"] for q in ctx.captured_queries if q["sql"].split()[0] not in ("BEGIN", "SAVEPOINT", "RELEASE")]


def test_a_text_to_a_healthy_sender_costs_five_statements_and_no_sender_write(provider):
    SenderHealth.objects.get_or_create(pk=1)
    statements = _statements_of_send(_queued("+13125550301"))
    # claim, read the message, read the sender, mark sent, look for a status that beat the answer
    assert len(statements) == 5, statements
    assert not any("UPDATE \"messaging_senderhealth\"" in sql for sql in statements)
    assert sum("messaging_senderhealth" in sql for sql in statements) == 1


def test_a_send_after_failures_still_resets_the_streak(provider):
    SenderHealth.objects.update_or_create(pk=1, defaults={"failure_streak": 2})
    _statements_of_send(_queued("+13125550302"))
    assert SenderHealth.objects.get(pk=1).failure_streak == 0


def test_a_paused_sender_holds_outreach_without_calling_the_provider(provider):
    SenderHealth.objects.update_or_create(pk=1, defaults={"paused": True})
    message = _queued("+13125550303")
    assert services.message_send(message_id=message.pk) == "held-sender-paused"
    assert provider.sent == 0
    message.refresh_from_db()
    assert message.send_state == Message.SendState.QUEUED
