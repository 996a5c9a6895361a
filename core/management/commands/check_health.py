"""Health for cron and monitoring: exit 0 when all is well, 1 with the reasons when not.

It runs the same checks as /readyz (database, broker, timer and worker heartbeats) and, unless
`--readiness-only`, two that need a person rather than a restart: outreach paused for the whole
sender, and outbound texts stuck in `sending` in the last day and not yet handled (never resent
silently, so someone must look).

    */2 * * * *  timeout 30 /opt/clinicbot/.venv/bin/python manage.py check_health --quiet || <alert>
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from clinicbot.clock import now
from clinicbot.health import readiness

# A stuck send stays on the board until someone handles it; the alarm stops after a day so one
# unanswerable row cannot keep monitoring red for ever.
STUCK_ALARM_WINDOW = dt.timedelta(days=1)


def sender_problem() -> str | None:
    from messaging.models import SenderHealth

    health = SenderHealth.objects.filter(pk=1, paused=True).first()
    if health is None:
        return None
    since = f" since {health.paused_at:%Y-%m-%d %H:%M} UTC" if health.paused_at else ""
    return f"sender: outreach paused{since} ({health.paused_reason or 'no reason recorded'}); resume it on the board"


def outbox_problem() -> str | None:
    """Texts left in `sending` (a crash between the claim and Twilio's answer, or an answer that never
    came): they may or may not have gone out and are never resent silently."""
    from messaging.selectors import messages_stuck_sending

    at = now()
    stuck = (
        messages_stuck_sending(at=at)
        .filter(attention_cleared_at__isnull=True, sending_at__gte=at - STUCK_ALARM_WINDOW)
        .count()
    )
    if not stuck:
        return None
    return f"outbox: {stuck} text(s) stuck in 'sending' (outcome unknown; see RUNBOOK.md)"


class Command(BaseCommand):
    help = "Check database, broker, timer and worker heartbeats, the sender and the outbox; exit 1 naming each failure."
    # run every minute or two by cron: skip the system checks (the API schema check alone takes seconds)
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--readiness-only", action="store_true", help="only what /readyz checks (no sender pause, no outbox)"
        )
        parser.add_argument("--quiet", action="store_true", help="print nothing when everything is ok")

    def handle(self, *args, readiness_only=False, quiet=False, **options):
        checks = readiness()
        if not readiness_only and checks.get("database") == "ok":
            for name, check in (("sender", sender_problem), ("outbox", outbox_problem)):
                try:
                    checks[name] = check() or "ok"
                except Exception as exc:  # noqa: BLE001 - report it like the other checks, never a traceback
                    checks[name] = f"{name}: check failed ({exc.__class__.__name__})"
        failing = {name: reason for name, reason in checks.items() if reason != "ok"}
        if failing:
            # CommandError prints to stderr and sets the exit status; the message never holds a secret
            # (readiness() names the check and the exception class only).
            raise CommandError(
                "clinicbot unhealthy: " + "; ".join(failing.values()),
                returncode=1,
            )
        if not quiet:
            self.stdout.write("ok: " + ", ".join(checks))
