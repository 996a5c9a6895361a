"""django-q2 task entry points: parse arguments, call one service."""

from . import services


def message_send_task(message_id: int) -> str:
    return services.message_send(message_id=message_id)


def inbound_process_task(message_id: int) -> str:
    return services.inbound_process(message_id=message_id)


def dev_deliver_task(sid: str) -> None:
    services.dev_deliver(sid=sid)
