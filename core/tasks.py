from .services import heartbeat_beat


def worker_heartbeat_task(period_seconds: float) -> None:
    """Enqueued by the timer: proves a worker is taking tasks off the queue."""
    heartbeat_beat(name="worker", period_seconds=period_seconds)
