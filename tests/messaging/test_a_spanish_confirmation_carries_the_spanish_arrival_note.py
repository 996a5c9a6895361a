"""Each location had one arrival note, in English, and every language's confirmation carried it:
a Spanish text read "...su cita está reservada: ... Please arrive 15 minutes early. Para
cambiarla, ...". A location now has a Spanish note too, and a Spanish text carries only that one."""

import datetime as dt

import pytest

from messaging.models import Message
from messaging.templating import render_sms
from offers.texts import slot_context
from tests import factories as f
from tests.conftest import CHICAGO
from waitlist.models import Location

from .scenarios import slot_with_offers
from .twilio_requests import text_in

pytestmark = pytest.mark.django_db

ENGLISH_DEFAULT = Location._meta.get_field("arrival_note").default
SPANISH_DEFAULT = Location._meta.get_field("arrival_note_es").default


def _confirmed(client, settle, language, **location) -> Message:
    c, [offer] = slot_with_offers(settle, language=language, **location)
    text_in(client, offer.phone.e164, "Sí" if language == "es" else "YES")
    settle()
    return Message.objects.get(phone=offer.phone, kind="confirmed")


def test_spanish_confirmation_is_all_spanish(client, clock, sms, settle):
    confirmed = _confirmed(client, settle, "es")
    assert confirmed.language == "es"
    assert "Please arrive" not in confirmed.body, confirmed.body
    assert SPANISH_DEFAULT in confirmed.body


def test_an_english_confirmation_still_carries_the_english_note(client, clock, sms, settle):
    confirmed = _confirmed(client, settle, "en")
    assert confirmed.language == "en"
    assert ENGLISH_DEFAULT in confirmed.body and SPANISH_DEFAULT not in confirmed.body


def test_a_staff_written_spanish_note_reaches_spanish_confirmations(client, clock, sms, settle):
    confirmed = _confirmed(client, settle, "es", arrival_note="Check in on the 2nd floor.",
                           arrival_note_es="Pase al segundo piso.")
    assert "Pase al segundo piso." in confirmed.body
    assert "Check in" not in confirmed.body


def test_a_blank_spanish_note_sends_none_rather_than_the_english_one(client, clock, sms, settle):
    confirmed = _confirmed(client, settle, "es", arrival_note="Check in on the 2nd floor.", arrival_note_es="")
    assert "Check in" not in confirmed.body and SPANISH_DEFAULT not in confirmed.body
    assert "  " not in confirmed.body


def test_the_spanish_confirmation_with_its_default_note_fits_two_segments(clock, settings):
    # the worst case: 25-character clinic name, 20-character short names, a long address, a
    # Saturday ("sáb" keeps it UCS-2 unless folded) and the "later appointment" sentence
    settings.CLINIC_NAME = "Riverside Family Medicine"
    settings.CLINIC_PHONE = "(555) 010-0000"
    loc = f.location(name="Northside Pediatrics")
    loc.address = "1200 W Harrison St, Suite 410, Chicago IL 60607"
    loc.save()
    prov = f.provider(loc, name="Dr Alexandra Montoya")
    prov.sms_name = "Dr Alexandra Montoya"
    prov.save()
    c = f.cancellation(prov, loc, dt.datetime(2026, 11, 28, 10, 30, tzinfo=CHICAGO))
    rendered = render_sms("confirmed", "es", slot_context(c, "es", has_current=True))
    assert SPANISH_DEFAULT in rendered.body
    assert rendered.segments <= 2, (rendered.encoding, len(rendered.body), rendered.body)
