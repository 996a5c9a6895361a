"""Liveness and readiness. Failures name the check, never a secret or a connection string."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from clinicbot.clock import now

# Background processes and how often each stamps its heartbeat (seconds).
BACKGROUND = {"timer": 5.0, "worker": 10.0}


def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001
        return f"database unreachable ({exc.__class__.__name__})"
    return None


def _check_broker() -> str | None:
    try:
        from django_q.brokers import get_broker

        broker = get_broker()
        if not broker.ping():
            return "broker not answering"
    except Exception as exc:  # noqa: BLE001
        return f"broker unreachable ({exc.__class__.__name__})"
    return None


def _check_heartbeats() -> list[str]:
    from core.models import Heartbeat

    problems = []
    beats = {h.name: h for h in Heartbeat.objects.all()}
    current = now()
    for name, period in BACKGROUND.items():
        beat = beats.get(name)
        if beat is None:
            problems.append(f"{name}: no heartbeat yet")
        elif current - beat.beat_at > dt.timedelta(seconds=3 * period):
            age = int((current - beat.beat_at).total_seconds())
            problems.append(f"{name}: last heartbeat {age}s ago")
    return problems


def readiness() -> dict[str, str]:
    checks: dict[str, str] = {}
    db = _check_database()
    checks["database"] = db or "ok"
    checks["broker"] = _check_broker() or "ok"
    if db is None:
        for name in BACKGROUND:
            checks[name] = "ok"
        for problem in _check_heartbeats():
            checks[problem.split(":")[0]] = problem
    return checks


def readyz(request):
    checks = readiness()
    failing = {k: v for k, v in checks.items() if v != "ok"}
    return JsonResponse(
        {"status": "fail" if failing else "ok", "checks": checks, "broker": settings.Q_BROKER},
        status=503 if failing else 200,
    )
