"""The client's address behind the TLS proxy (TRUST_PROXY=true).

Every request then arrives from the proxy's address, so the staff login lockout (django-axes, by user
name or by address) would count every failed login of the whole clinic against one address. The proxy
(deploy/nginx.conf) replaces X-Forwarded-For with the one address it saw; the right-most entry is taken,
the one the nearest proxy added, should another proxy append to it."""

from __future__ import annotations


def client_ip(request) -> str | None:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.rsplit(",", 1)[-1].strip()
    return last or request.META.get("REMOTE_ADDR")
