"""Integrators' clients parse JSON: a malformed id or an unknown path under /api/v1/ answers a JSON
404 with a reason, not Django's HTML page."""

import pytest

pytestmark = pytest.mark.django_db

PATHS = [
    "/api/v1/cancellations/abc/",
    "/api/v1/cancellations/1.5/",
    "/api/v1/cancellations/abc/withdraw/",
    "/api/v1/offers/x/",
    "/api/v1/no-such-thing/",
]


@pytest.mark.parametrize("path", PATHS)
def test_a_malformed_id_or_unknown_path_gets_a_json_404_with_a_reason(client, path):
    for method in (client.get, client.post):
        r = method(path)
        assert r.status_code == 404
        assert r["Content-Type"].startswith("application/json")
        assert "not a number" in r.json()["detail"]


def test_a_known_path_still_reaches_its_view(client):
    # unauthenticated: the real view answers 401/403, not the catch-all's 404
    assert client.get("/api/v1/cancellations/").status_code in (401, 403)
