"""The OpenAPI schema is served without a token, is valid OpenAPI 3, is generated without warnings,
covers exactly the integration API, and the docs page loads its assets locally (no CDN)."""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

EXPECTED_PATHS = {
    "/api/v1/locations/", "/api/v1/providers/", "/api/v1/appointment-types/", "/api/v1/patients/",
    "/api/v1/waitlist/", "/api/v1/waitlist/{id}/boost/", "/api/v1/cancellations/",
    "/api/v1/cancellations/{id}/withdraw/", "/api/v1/cancellations/{id}/pause/", "/api/v1/cancellations/{id}/resume/",
    "/api/v1/cancellations/{id}/mark-filled/", "/api/v1/cancellations/{id}/next-wave/", "/api/v1/offers/",
    "/api/v1/messages/", "/api/v1/metrics/",
}


@pytest.fixture
def schema(client):
    GENERATOR_STATS.reset()
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi_3_without_generator_warnings(schema):
    validate_schema(schema)
    assert not GENERATOR_STATS, dict(GENERATOR_STATS._warn_cache)


def test_the_schema_covers_the_contract_and_nothing_else(schema):
    paths = set(schema["paths"])
    assert EXPECTED_PATHS <= paths
    assert all(p.startswith("/api/v1/") for p in paths), "webhooks or admin leaked into the API schema"


def test_the_schema_declares_token_auth(schema):
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("type") == "apiKey" and s.get("name") == "Authorization" for s in schemes.values())


def test_the_docs_page_serves_swagger_ui_from_this_server(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
    assert "<script>" not in html.replace(" ", "")  # no inline script: the CSP forbids it
