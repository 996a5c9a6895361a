"""The phone simulator (SMS_BACKEND=dev only) shows a number's thread and sends a reply the way
Twilio would: a signed form POST handled by the real inbound webhook."""

import pytest
from twilio.request_validator import RequestValidator

from messaging import simulator
from messaging.models import Message
from offers.models import Cancellation
from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db


def test_a_yes_from_the_simulator_fills_the_slot(desk, clinic, settle, settings):
    settings.SMS_BACKEND = "dev"
    c = offering_slot(clinic, settle)
    offer = c.offers.order_by("-score").first()
    page = desk.get(f"/admin/simulator/{offer.phone_id}/")
    assert page.status_code == 200 and "Reply YES by" in page.content.decode()
    response = desk.post(f"/admin/simulator/{offer.phone_id}/send/", {"body": "yes"})
    settle()
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == Cancellation.Status.FILLED and c.filled_offer_id == offer.pk
    thread = desk.get(f"/admin/simulator/{offer.phone_id}/poll/").json()["html"]
    assert "you are booked" in thread


def test_the_simulated_text_carries_a_valid_twilio_signature(desk, clinic, settle, settings):
    settings.SMS_BACKEND = "dev"
    settings.WEBHOOK_SIGNATURE_CHECK = True
    phone = clinic.patients[0].phone
    assert simulator.deliver_inbound(from_e164=phone.e164, body="hello?") == 200
    stored = Message.objects.get(direction="inbound", phone=phone)
    assert stored.body == "hello?"
    # what was stored is exactly what Twilio would have sent, and it validates against the public URL
    params = stored.raw_params
    url = settings.PUBLIC_BASE_URL + "/webhooks/twilio/inbound/"
    signature = RequestValidator(settings.WEBHOOK_AUTH_TOKEN).compute_signature(url, params)
    assert RequestValidator(settings.WEBHOOK_AUTH_TOKEN).validate(url, params, signature)
    assert params["MessageSid"].startswith("SM") and len(params["MessageSid"]) == 34


def test_a_webhook_that_rejects_the_signature_is_reported(desk, clinic, settings, monkeypatch):
    settings.SMS_BACKEND = "dev"
    phone = clinic.patients[0].phone
    from messaging import webhooks

    # the simulator's text meets the webhook's real signature check: make that check refuse it
    monkeypatch.setattr(webhooks, "signature_valid", lambda request: False)
    response = desk.post(f"/admin/simulator/{phone.pk}/send/", {"body": "yes"})
    assert "refused the simulated text (HTTP 403)" in desk.get(response["Location"]).content.decode()
    assert not Message.objects.filter(direction="inbound").exists()


def test_the_simulator_does_not_exist_with_real_twilio(desk, clinic, settings):
    settings.SMS_BACKEND = "twilio"
    phone = clinic.patients[0].phone
    assert desk.get("/admin/simulator/").status_code == 404
    assert desk.post(f"/admin/simulator/{phone.pk}/send/", {"body": "yes"}).status_code == 404
    assert not Message.objects.filter(direction="inbound").exists()


def test_the_simulator_poll_does_not_extend_the_session(desk, clinic, clock, settings):
    settings.SMS_BACKEND = "dev"
    phone = clinic.patients[0].phone
    desk.get("/admin/simulator/")
    last = desk.session["last_activity"]
    clock.advance(minutes=3)
    assert desk.get(f"/admin/simulator/{phone.pk}/poll/").status_code == 200
    assert desk.session["last_activity"] == last
