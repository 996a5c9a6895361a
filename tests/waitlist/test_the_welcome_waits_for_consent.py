"""The welcome is the text that tells a number what to expect and how to stop (STOP, HELP). An entry
made before consent used to spend it: nothing was sent then, and nothing later, so the number's first
text was an offer. It now goes once the number has both an entry and consent, whichever came last."""

import pytest

from core.actors import Actor
from messaging.models import Message
from tests import factories as f
from waitlist import services as waitlist

pytestmark = pytest.mark.django_db
STAFF = Actor(Actor.STAFF, "desk")
NUMBER = "+13125550661"


def _welcomes():
    return Message.objects.filter(phone__e164=NUMBER, kind="welcome").count()


def _patient(consent: str = "", patient=None):
    return waitlist.patient_upsert(actor=STAFF, first_name="Ida", last_name="Lane", phone=NUMBER,
                                   consent_source=consent, patient=patient)[0]


def test_consent_recorded_after_the_entry_brings_the_welcome(clock, settle):
    patient = _patient()
    f.entry(patient)
    settle()
    assert _welcomes() == 0

    _patient(consent="verbal", patient=patient)
    settle()

    assert _welcomes() == 1


def test_the_welcome_still_goes_once(clock, settle):
    patient = _patient(consent="written")
    f.entry(patient)
    f.entry(patient, atype=f.appointment_type("physical"))
    _patient(consent="written", patient=patient)
    settle()
    assert _welcomes() == 1


def test_consent_without_an_entry_sends_nothing_yet(clock, settle):
    _patient(consent="written")
    settle()
    assert _welcomes() == 0
