"""The phone simulator is a development tool. With DEBUG off, SMS_BACKEND=dev is still allowed (a demo,
CI), and there it showed threads without an access record; with a real Twilio token configured it
would have signed made-up patient texts with it. It runs only in development, with no real token."""

import pytest

from messaging import simulator
from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone_id(clinic, settle, settings):
    settings.SMS_BACKEND = "dev"
    c = offering_slot(clinic, settle)
    return c.offers.first().phone_id


def test_with_debug_off_outside_tests_the_simulator_is_not_there(desk, phone_id, settings):
    settings.DEBUG = False
    settings.TESTING = False
    assert desk.get(f"/admin/simulator/{phone_id}/").status_code == 404
    assert desk.post(f"/admin/simulator/{phone_id}/send/", {"body": "yes"}).status_code == 404


def test_with_a_real_twilio_token_the_simulator_signs_nothing(desk, phone_id, settings):
    settings.TWILIO_AUTH_TOKEN = "a-real-token"
    assert desk.get(f"/admin/simulator/{phone_id}/").status_code == 404
    with pytest.raises(Exception, match="development"):
        simulator.deliver_inbound(from_e164="+13125550100", body="YES")


def test_in_development_it_is_there(desk, phone_id, settings):
    settings.DEBUG = True
    assert desk.get(f"/admin/simulator/{phone_id}/").status_code == 200
