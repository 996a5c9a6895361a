"""Without Advanced Opt-Out Twilio sends no `OptOutType`, but on a long code its default keywords
still apply: a whole body of STOP (or STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE),
START, UNSTOP, HELP or INFO, in any case, is answered by Twilio itself, and after STOP Twilio refuses
our texts (21610). We record the intent as always and send no second answer. What Twilio does not
recognise ("please stop texting me", "help me") reaches only us, and we answer it. With the dev
backend nobody stands in between, so we answer everything."""

import pytest

from messaging import backends
from messaging.backends import DevBackend
from messaging.models import ConsentEvent, Message, PhoneNumber
from tests import factories as f

from .twilio_requests import real_twilio_backend, text_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def twilio_number(sms, settings):
    """The recording backend plays a real Twilio long code without Advanced Opt-Out."""
    settings.TWILIO_ADVANCED_OPT_OUT = False
    sms.answers_default_keywords = True
    return sms


def _outbound(number):
    return list(Message.objects.filter(direction="outbound", phone__e164=number).values_list("kind", flat=True))


@pytest.mark.parametrize(
    "body", ["STOP", "stop", " Stop ", "STOPALL", "unsubscribe", "Cancel", "END", "quit", "OPTOUT", "revoke"]
)
def test_a_default_opt_out_keyword_is_recorded_and_confirmed_by_twilio_not_us(client, clock, twilio_number, settle,
                                                                               body):
    patient = f.patient(phone="+13125551301")
    text_in(client, "+13125551301", body)
    settle()
    patient.phone.refresh_from_db()
    assert patient.phone.opted_out
    assert ConsentEvent.objects.filter(phone=patient.phone, kind="opt_out", source="keyword").count() == 1
    assert _outbound("+13125551301") == []


def test_a_free_text_revocation_is_still_confirmed_by_us_while_stop_is_left_to_twilio(
    client, clock, twilio_number, settle
):
    text_in(client, "+13125551302", "STOP")
    text_in(client, "+13125551303", "please stop texting me")
    settle()
    assert _outbound("+13125551302") == []
    [confirmation] = twilio_number.bodies_to("+13125551303")
    assert "unsubscribed" in confirmation


@pytest.mark.parametrize("body", ["START", "unstop"])
def test_a_default_opt_in_keyword_lifts_the_opt_out_and_only_twilio_answers_it(client, clock, twilio_number, settle,
                                                                                body):
    patient = f.patient(phone="+13125551304")
    text_in(client, "+13125551304", "STOP")
    text_in(client, "+13125551304", body)
    settle()
    patient.phone.refresh_from_db()
    assert patient.phone.can_text
    assert _outbound("+13125551304") == []


@pytest.mark.parametrize("body", ["HELP", "info", "Help"])
def test_a_default_help_keyword_is_recorded_and_only_twilio_answers_it_while_help_me_gets_ours(
    client, clock, twilio_number, settle, body
):
    text_in(client, "+13125551305", body)
    text_in(client, "+13125551306", "help me")
    settle()
    assert ConsentEvent.objects.filter(phone__e164="+13125551305", kind="help").count() == 1
    assert _outbound("+13125551305") == []
    [help_text] = twilio_number.bodies_to("+13125551306")
    assert "Reply STOP to opt out" in help_text


def test_the_twilio_backend_leaves_stop_to_twilio_where_the_dev_backend_confirms_it(clock, client, settle, settings):
    settings.TWILIO_ADVANCED_OPT_OUT = False
    with real_twilio_backend(settings) as standin:
        text_in(client, "+13125551307", "STOP")
        settle()
        assert standin.requests == []
        backends.set_backend(DevBackend())
        text_in(client, "+13125551308", "STOP")
        settle()
    assert _outbound("+13125551308") == ["opt_out_confirm"]
    assert PhoneNumber.objects.filter(e164__in=["+13125551307", "+13125551308"], opted_out=True).count() == 2
