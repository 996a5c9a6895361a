from __future__ import annotations

import uuid

import pytest


@pytest.fixture(autouse=True)
def _isolated_auto_reply_counts(request, settings):
    """Auto-reply counts live in the default cache. The database cache (the default) is rolled back
    with each test; under REDIS_URL the default cache is Redis, shared by every test and every run,
    so each test counts in a fresh in-memory cache instead. Tests marked `redis` use Redis itself."""
    if "redis" in request.keywords:
        return
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        return
    settings.CACHES = {
        **settings.CACHES,
        "auto-reply-test": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex},
    }
    settings.RATELIMIT_USE_CACHE = "auto-reply-test"
