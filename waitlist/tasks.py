"""Worker tasks of the waitlist app: thin wrappers that parse arguments and call one service."""

from __future__ import annotations

import datetime as dt
import logging

from clinicbot.tasks import enqueue_after_commit
from waitlist.services import priorities_refresh_chunk

log = logging.getLogger(__name__)

REFRESH_TASK = "waitlist.tasks.priorities_refresh_task"
# rows per task: about a second or two of work on these machines, far inside the worker's timeout
REFRESH_ROWS = 20000


def priorities_refresh_task(today_iso: str, after: int = 0) -> int:
    """The daily score refresh, in pieces: each task walks REFRESH_ROWS entries and queues the next
    piece, so a large waitlist never holds the timer (holds must expire on time) nor outlives a task."""
    changed, next_after = priorities_refresh_chunk(today=dt.date.fromisoformat(today_iso), after=after,
                                                   rows=REFRESH_ROWS)
    if next_after is not None:
        enqueue_after_commit(REFRESH_TASK, today_iso, next_after)
    else:
        log.info("daily score refresh for %s finished", today_iso)
    return changed
