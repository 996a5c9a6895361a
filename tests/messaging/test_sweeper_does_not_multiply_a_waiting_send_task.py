"""The sweeper re-enqueues a queued text whose send task may have been lost (a crashed Redis-broker
cluster takes its tasks with it) once after 30 s, then at most every REQUEUE_EVERY. Under load a
task can simply be waiting its turn in a long queue: a copy every 15 s sweep would multiply the
backlog it waits in (docs/PERFORMANCE.md, section 5)."""

import datetime as dt

import pytest

from messaging import services
from messaging.models import Message
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    """Send tasks enqueued, by message id; they wait in the queue and never run."""
    calls = []
    monkeypatch.setattr(
        services, "enqueue_after_commit", lambda path, *args: calls.append(args[0]) if path == services.SEND_TASK else None
    )
    return calls


def _sweep(clock):
    # what offers.services.sweep asks every 15 s
    return services.messages_requeue_lost(older_than=clock() - dt.timedelta(seconds=30))


def test_a_text_whose_task_waits_in_a_long_queue_is_copied_once_not_every_sweep(clock, enqueued):
    message = services.message_enqueue(phone=f.patient().phone, template="help")
    assert enqueued == [message.pk]
    clock.advance(seconds=20)
    assert _sweep(clock) == 0  # too recent to be lost
    clock.advance(seconds=11)
    assert _sweep(clock) == 1  # 31 s: perhaps lost, one copy
    for _ in range(19):  # nearly 5 minutes of sweeps while the queue is long: no more copies
        clock.advance(seconds=15)
        assert _sweep(clock) == 0
    clock.advance(seconds=15)
    assert _sweep(clock) == 1  # still queued after REQUEUE_EVERY: one more
    assert enqueued == [message.pk, message.pk, message.pk]


def test_a_text_released_after_a_retry_wait_is_not_copied_at_once(clock, enqueued):
    message = services.message_enqueue(phone=f.patient().phone, template="help")
    # a transient failure put it back in the queue with a wait, long after it was created
    Message.objects.filter(pk=message.pk).update(next_attempt_at=clock() + dt.timedelta(seconds=90))
    clock.advance(seconds=90)
    services.message_release_due(message_id=message.pk, at=clock())
    assert _sweep(clock) == 0  # its new task was enqueued just now
    clock.advance(seconds=31)
    assert _sweep(clock) == 1

