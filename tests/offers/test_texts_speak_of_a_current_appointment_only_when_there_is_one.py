"""The confirmation promises to release "your later appointment" and the taken notice says "your
current appointment stands": true only for a patient who has one. Many waitlisted patients (a first
visit) have none, and were told both."""

import datetime as dt

import pytest

from tests.conftest import T0
from tests.messaging.scenarios import slot_with_offers
from tests.messaging.twilio_requests import text_in
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db


def _give_current_appointments(offers):
    WaitlistEntry.objects.filter(pk__in=[o.entry_id for o in offers]).update(
        current_appointment_at=T0 + dt.timedelta(days=30)
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_patient_without_a_current_appointment_hears_of_none(client, clock, sms, settle, language):
    c, [winner, other] = slot_with_offers(settle, patients=2, language=language)
    text_in(client, winner.phone.e164, "YES" if language == "en" else "Sí")
    settle()
    confirmed, taken = sms.bodies_to(winner.phone.e164)[-1], sms.bodies_to(other.phone.e164)[-1]
    for words in ("later appointment", "current appointment", "cita posterior", "cita actual"):
        assert words not in confirmed and words not in taken
    assert "waitlist" in taken or "lista de espera" in taken


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_patient_with_a_current_appointment_is_told_what_becomes_of_it(client, clock, sms, settle, language):
    c, offers = slot_with_offers(settle, patients=2, language=language)
    _give_current_appointments(offers)
    winner, other = offers
    text_in(client, winner.phone.e164, "YES" if language == "en" else "Sí")
    settle()
    confirmed, taken = sms.bodies_to(winner.phone.e164)[-1], sms.bodies_to(other.phone.e164)[-1]
    if language == "en":
        assert "later appointment for this visit will be released" in confirmed
        assert "current appointment stands" in taken
    else:
        assert "cita posterior para esta visita" in confirmed
        assert "cita actual se mantiene" in taken
