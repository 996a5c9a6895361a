"""Admin pages carry a Content-Security-Policy with no inline scripts allowed, and none of them
depends on one (a page with an inline script would break under the policy)."""

import re

import pytest

from .conftest import make_staff

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:json|ld\+json)\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


def test_login_page_sends_a_strict_policy(client):
    response = client.get("/admin/login/")
    policy = _policy(response)
    assert policy["default-src"] == "default-src 'self'"
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["form-action"] == "form-action 'self'"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/admin/", "/admin/core/auditevent/", "/admin/waitlist/patient/",
                                  "/admin/messaging/message/", "/admin/offers/cancellation/"])
def test_console_pages_have_the_policy_and_no_inline_script(client, path):
    client.force_login(make_staff("boss", superuser=True))
    response = client.get(path)
    assert response.status_code == 200, path
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.findall(html), f"inline <script> on {path} would be blocked by the CSP"
    assert not INLINE_HANDLER.findall(html), f"inline event handler on {path} would be blocked by the CSP"
