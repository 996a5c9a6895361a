"""Every SMS template, rendered in English and Spanish with long realistic values, discreet on and
off: English is GSM-7 only and the offer fits one segment; Spanish fits two; no body names the
patient; each stored message records its template and version."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from messaging import services
from messaging.encoding import GSM7, is_gsm7, segment_count
from messaging.models import Message
from messaging.templating import LANGUAGES, render_sms, to_gsm7
from offers.texts import fmt_day, fmt_time, slot_context
from tests import factories as f
from tests.conftest import CHICAGO, T0

from .scenarios import slot_with_offers
from .twilio_requests import text_in

TEMPLATE_DIR = Path(django_settings.BASE_DIR) / "templates" / "sms"
NAMES = sorted(p.stem for p in (TEMPLATE_DIR / "en").glob("*.txt"))

LONG_CLINIC = "Riverside Family Medicine"  # 25 characters
PATIENT_FIRST, PATIENT_LAST = "Maximiliana", "Villasenor-Okonkwo"


@pytest.fixture(autouse=True)
def _long_clinic(settings):
    settings.CLINIC_NAME = LONG_CLINIC
    settings.CLINIC_PHONE = "(555) 010-0000"


def _context(language: str, discreet: bool, *, saturday: bool = False) -> dict:
    # the worst case for each value: 20-character short names, a 10-character day (Spanish "sáb"
    # forces UCS-2), two-digit hours, a long street address and the default arrival note
    day = dt.datetime(2026, 11, 28 if saturday else 25, 10, 30, tzinfo=CHICAGO)
    return {
        "day": fmt_day(day, language),
        "time": fmt_time(day, language),
        "reply_by": fmt_time(day.replace(hour=11, minute=37), language),
        "provider": "" if discreet else "Dr Alexandra Montoya",
        "location": "" if discreet else "Northside Pediatrics",
        "address": "1200 W Harrison St, Suite 410, Chicago IL 60607",
        "arrival_note": "Please arrive 15 minutes early.",
        "discreet": discreet,
        "clinic": "" if discreet else LONG_CLINIC,
        # never used by a template; here to prove none reaches a body
        "first_name": PATIENT_FIRST, "last_name": PATIENT_LAST, "patient": f"{PATIENT_FIRST} {PATIENT_LAST}",
    }


def test_both_languages_have_the_same_templates():
    assert NAMES and sorted(p.stem for p in (TEMPLATE_DIR / "es").glob("*.txt")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_english_template_sources_use_only_gsm7(name):
    source = (TEMPLATE_DIR / "en" / f"{name}.txt").read_text()
    assert is_gsm7(source), [c for c in source if not is_gsm7(c)]


@pytest.mark.parametrize("discreet", [False, True], ids=["named", "discreet"])
@pytest.mark.parametrize("name", NAMES)
def test_english_texts_are_gsm7_and_the_offer_fits_one_segment(name, discreet):
    rendered = render_sms(name, "en", _context("en", discreet))
    assert rendered.encoding == GSM7 and is_gsm7(rendered.body)
    assert rendered.segments == segment_count(rendered.body)
    if name == "offer":
        assert rendered.segments == 1, (len(rendered.body), rendered.body)
    assert rendered.segments <= 2
    assert PATIENT_FIRST not in rendered.body and PATIENT_LAST not in rendered.body


@pytest.mark.parametrize("saturday", [False, True], ids=["wednesday", "saturday"])
@pytest.mark.parametrize("discreet", [False, True], ids=["named", "discreet"])
@pytest.mark.parametrize("name", NAMES)
def test_spanish_texts_fit_two_segments(name, discreet, saturday):
    rendered = render_sms(name, "es", _context("es", discreet, saturday=saturday))
    assert rendered.segments == segment_count(rendered.body) <= 2, (rendered.encoding, len(rendered.body), rendered.body)
    assert PATIENT_FIRST not in rendered.body and PATIENT_LAST not in rendered.body


@pytest.mark.parametrize("name", NAMES)
def test_discreet_texts_name_no_provider_or_location(name):
    for language in LANGUAGES:
        body = render_sms(name, language, _context(language, True)).body
        assert "Alexandra" not in body and "Northside" not in body


def test_a_spanish_text_keeps_its_accents_when_they_fit_and_drops_them_when_they_do_not():
    short = render_sms("no_longer_available", "es", {"discreet": True, "day": "mié 25 nov", "time": "10:30"})
    assert "está" in short.body and short.encoding == "UCS-2" and short.segments <= 2
    long = render_sms("welcome", "es", _context("es", False))
    assert "está" not in long.body and "esta en nuestra lista" in long.body and long.encoding == GSM7


def test_staff_typed_typography_in_an_english_text_is_folded_to_gsm7():
    rendered = render_sms("offer", "en", {**_context("en", False), "location": "St. Mary\u2019s \u2014 North"})
    assert rendered.encoding == GSM7 and "St. Mary's - North" in rendered.body
    assert to_gsm7("caf\u00e9 \u201cs\u00ed\u201d \U0001f44d") == 'café "si" \U0001f44d'


@pytest.mark.django_db
def test_offer_texts_from_the_engine_fit_and_never_name_the_patient(clock, sms, settle):
    loc = f.location(name="Northside Pediatrics"[:20])
    prov = f.provider(loc, name="Dr. Alexandra Montoya")
    for language in ("en", "es"):
        f.entry(f.patient(first=PATIENT_FIRST, last=PATIENT_LAST + language, language=language))
    f.cancellation(prov, loc, T0 + dt.timedelta(hours=5))
    settle()
    texts = Message.objects.filter(direction="outbound", kind="offer")
    assert texts.count() == 2
    for message in texts:
        assert PATIENT_FIRST not in message.body and PATIENT_LAST not in message.body
        assert message.segments == 1 if message.language == "en" else message.segments <= 2


@pytest.mark.django_db
def test_each_message_records_its_template_and_version(client, clock, sms, settle):
    c, [offer] = slot_with_offers(settle)
    text_in(client, offer.phone.e164, "YES")
    settle()
    rendered = render_sms("confirmed", "en", slot_context(c, "en"))
    offer_text = Message.objects.get(phone=offer.phone, kind="offer")
    confirmed = Message.objects.get(phone=offer.phone, kind="confirmed")
    assert (offer_text.template, confirmed.template) == ("en/offer", "en/confirmed")
    assert confirmed.template_version == rendered.version and len(rendered.version) == 10
    assert offer_text.template_version != confirmed.template_version
    assert (confirmed.encoding, confirmed.segments, confirmed.language) == (rendered.encoding, rendered.segments, "en")
    reply = services.message_enqueue(phone=offer.phone, template="help", language="es")
    assert (reply.template, reply.language) == ("es/help", "es")
