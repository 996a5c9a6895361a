import logging

from clinicbot.clock import now

from .services import heartbeat_beat, retention_idle_entries, retention_redact_messages

log = logging.getLogger(__name__)


def worker_heartbeat_task(period_seconds: float) -> None:
    """Enqueued by the timer: proves a worker is taking tasks off the queue."""
    heartbeat_beat(name="worker", period_seconds=period_seconds)


def retention_task() -> dict[str, dict[str, int]]:
    """Daily (django-q2 Schedule created by core migration 0003): message redaction, idle entries."""
    at = now()
    result = {"messages": retention_redact_messages(at=at), "entries": retention_idle_entries(at=at)}
    log.info("retention run: %s", result)
    return result
