"""The one way side effects leave a transaction: enqueued after commit.

If the enqueue itself fails (broker down), the state in the database still says what is due and
the timer's sweeper picks it up; nothing depends on the task arriving."""

from __future__ import annotations

import logging
import os

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

# One django-q2 broker per process, keyed by pid. async_task builds a new broker (for Redis, a new
# client and TCP connection) on every call unless it is handed one: about 1 ms of web CPU and a
# connect per enqueue (docs/PERFORMANCE.md, section 1). Keyed by pid because a forked child (gunicorn
# workers, django-q2's processes) must not share its parent's sockets. Shared by threads: the Redis
# client draws from a thread-safe connection pool, and the ORM broker only names a queryset, which
# runs on each thread's own Django connection. Two threads racing to fill it build two brokers and
# keep one: harmless.
_brokers: dict[int, object] = {}


def _broker():
    pid = os.getpid()
    broker = _brokers.get(pid)
    if broker is None:
        from django_q.brokers import get_broker

        _brokers.clear()  # a parent's broker, inherited by fork, is never used here
        broker = _brokers[pid] = get_broker()
    return broker


def enqueue_after_commit(func_path: str, *args) -> None:
    def _go():
        if getattr(settings, "TASKS_EAGER", False):
            import_string(func_path)(*args)
            return
        from django_q.tasks import async_task

        async_task(func_path, *args, q_options={"group": func_path.rsplit(".", 1)[-1], "broker": _broker()})

    transaction.on_commit(_go, robust=True)
