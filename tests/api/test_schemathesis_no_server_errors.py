"""Property test of the whole API against its own OpenAPI schema (Schemathesis): valid and invalid
requests generated for every operation, bounded per operation, must never get a 5xx, and every
answer must be documented (status code and body shape)."""

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance

from tests import factories as f
from tests.offers._support import SLOT_AT

# Loaded at collection (pytest-django has configured Django by then; the schema view reads no
# table). Schemathesis' lazy `from_fixture` loader does not work with pytest 9.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler())


@pytest.fixture
def keep_connection():
    """The raw WSGI handler closes the database connection after each request; the test's
    transaction needs it open (Django's test client does the same)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(db, clock, keep_connection):
    """A superuser's token (every operation reachable) and a little data, so lists are not empty."""
    user = get_user_model().objects.create_superuser("fuzzer", password=None)
    loc = f.location()
    atype = f.appointment_type()
    prov = f.provider(loc, types=[atype])
    for _ in range(2):
        f.entry(f.patient())
    f.cancellation(prov, loc, SLOT_AT, atype=atype)
    return AuthToken.objects.create(user=user)[1]


@pytest.mark.timeout(180)
@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_generated_request_gets_a_server_error(case, token):
    response = case.call(headers={"Authorization": f"Token {token}"})
    # no 5xx; and every answer is one the schema documents, in the documented shape
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance,
                                             response_schema_conformance])
