"""The one way side effects leave a transaction: enqueued after commit.

If the enqueue itself fails (broker down), the state in the database still says what is due and
the timer's sweeper picks it up; nothing depends on the task arriving."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def enqueue_after_commit(func_path: str, *args) -> None:
    def _go():
        if getattr(settings, "TASKS_EAGER", False):
            import_string(func_path)(*args)
            return
        from django_q.tasks import async_task

        async_task(func_path, *args, q_options={"group": func_path.rsplit(".", 1)[-1]})

    transaction.on_commit(_go, robust=True)
