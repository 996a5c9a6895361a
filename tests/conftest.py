from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection

from clinicbot import clock as clock_module
from messaging import backends
from messaging.backends import SendResult

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
# A Wednesday morning in Chicago, inside the default 08:00-20:00 window.
T0 = dt.datetime(2026, 11, 25, 10, 0, tzinfo=CHICAGO)


def pytest_collection_modifyitems(config, items):
    from django.db import connections

    vendor = connections["default"].vendor
    for item in items:
        if "postgres" in item.keywords and vendor != "postgresql":
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: set TEST_DATABASE_URL=postgres://... (make test does in CI)"))


@pytest.fixture(autouse=True)
def _eager_tasks(settings):
    # tasks run inline when their transaction commits (or when a test calls settle())
    settings.TASKS_EAGER = True
    from messaging.seam import events

    events.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    # auto-reply counts live in the shared cache (Redis when REDIS_URL is set): a test must not
    # inherit another test's count
    if "django_db" not in request.keywords and "db" not in request.fixturenames:
        yield
        return
    from django.core.cache import cache

    try:
        cache.clear()
    except Exception:  # noqa: BLE001 - the database cache table may not exist in a non-db test
        pass
    yield


class RecordingBackend:
    """Plays Twilio's Messages endpoint in memory: records every send; per-number failures."""

    name = "recording"
    plays_provider = True

    def __init__(self):
        self.sent: list[backends.OutgoingSms] = []
        self.fail: dict[str, SendResult] = {}

    def send(self, sms):
        if sms.to in self.fail:
            return self.fail[sms.to]
        self.sent.append(sms)
        import secrets

        return SendResult(ok=True, sid="SM" + secrets.token_hex(16), status="queued")

    def bodies_to(self, e164: str) -> list[str]:
        return [s.body for s in self.sent if s.to == e164]


@pytest.fixture(autouse=True)
def sms():
    backend = RecordingBackend()
    backends.set_backend(backend)
    yield backend
    backends.set_backend(None)


@pytest.fixture
def clock():
    c = clock_module.FrozenClock(T0.astimezone(dt.UTC))
    clock_module.set_clock(c)
    yield c
    clock_module.set_clock(None)


def _settle():
    """Run the on-commit callbacks a committed transaction would have run (sends, next waves),
    including those the callbacks themselves register."""
    for _ in range(50):
        callbacks = connection.run_on_commit
        if not callbacks:
            return
        connection.run_on_commit = []
        for _sids, func, _robust in callbacks:
            func()
    raise AssertionError("on-commit callbacks keep registering more: a loop?")


@pytest.fixture
def settle():
    return _settle
