"""Enqueueing a task reuses one django-q2 broker per process (for Redis, one client and its
connection pool) instead of building a broker, and a connection, per call; a forked child builds
its own rather than sharing its parent's sockets."""

import pytest
from django.db import transaction

from clinicbot import tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_calls(monkeypatch, settings):
    settings.TASKS_EAGER = False
    built, used = [], []
    import django_q.brokers
    import django_q.tasks

    monkeypatch.setattr(django_q.brokers, "get_broker", lambda *a, **k: built.append(object()) or built[-1])
    monkeypatch.setattr(django_q.tasks, "async_task", lambda func, *args, q_options: used.append(q_options["broker"]))
    monkeypatch.setattr(tasks, "_brokers", {})
    return built, used


def test_every_enqueue_in_a_process_uses_the_same_broker(broker_calls, settle):
    built, used = broker_calls
    for i in range(3):
        with transaction.atomic():
            tasks.enqueue_after_commit("messaging.tasks.message_send_task", i)
        settle()
    assert len(built) == 1
    assert used == [built[0]] * 3


def test_a_forked_process_builds_its_own_broker(broker_calls, settle, monkeypatch):
    built, used = broker_calls
    tasks.enqueue_after_commit("messaging.tasks.message_send_task", 1)
    settle()
    monkeypatch.setattr(tasks.os, "getpid", lambda: -1)  # now in a child
    tasks.enqueue_after_commit("messaging.tasks.message_send_task", 2)
    settle()
    assert len(built) == 2
    assert used == built
