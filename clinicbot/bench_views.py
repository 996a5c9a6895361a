"""Benchmark-only endpoints, mounted only when the environment sets CLINICBOT_BENCH_ENDPOINTS=1
(bench/webhook_load.py does; production never should). They are the floors an inbound webhook is
compared with on the same server: the same middleware, one row written and committed."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinicbot.clock import now
from core.models import AuditEvent

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


@csrf_exempt
@require_POST
def one_row(request):
    # one INSERT in autocommit: the least any webhook that stores what it received can do
    AuditEvent.objects.create(
        at=now(), actor_kind="system", actor_label="bench", action="bench.one_row", object_type="bench", object_id="1"
    )
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")
