from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout

# Paths polled by the live board: they must not keep an idle staff session alive.
PASSIVE_PATH_MARK = "/poll/"
_KEY = "last_activity"


class IdleSessionTimeoutMiddleware:
    """Logs a staff user out after SESSION_IDLE_MINUTES without a deliberate request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            idle = settings.SESSION_IDLE_MINUTES * 60
            last = request.session.get(_KEY)
            now = time.time()
            if last is not None and now - last > idle:
                logout(request)
            elif PASSIVE_PATH_MARK not in request.path:
                request.session[_KEY] = now
        return self.get_response(request)
