"""django-q2 task entry points: parse arguments, call one service."""

from . import services


def wave_advance_task(cancellation_id: int) -> str:
    return services.wave_advance(cancellation_id=cancellation_id)


def sweep_task() -> dict:
    return services.sweep()
