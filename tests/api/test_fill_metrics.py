"""The metrics selector shared by the admin page and the API, on a day whose figures are worked out
by hand: four slots logged (one filled by text in 5 minutes, one by phone after 3 hours, one
withdrawn, one with nobody to offer it to) and one slot logged the day before."""

import datetime as dt

import pytest
from django.conf import settings

from core.actors import Actor
from messaging.backends import SendResult
from messaging.models import Message
from offers import services
from offers.metrics import fill_metrics
from offers.models import Offer
from tests import factories as f
from tests.conftest import CHICAGO, T0
from tests.offers._support import SLOT_AT, text_in

from .conftest import API

pytestmark = pytest.mark.django_db
STAFF = Actor("staff", "sam", None)
DAY = dt.date(2026, 11, 25)


@pytest.fixture
def day(clock, sms, settle):
    loc = f.location()
    follow_up, physical, consult = (f.appointment_type("follow-up"), f.appointment_type("physical"),
                                    f.appointment_type("consult"))
    first = f.provider(loc, types=[follow_up], name="Dr First")
    second = f.provider(loc, types=[physical, consult], name="Dr Second")

    # the day before: a slot nobody can take (must not count)
    clock.set(T0 - dt.timedelta(days=1))
    f.cancellation(second, loc, SLOT_AT + dt.timedelta(hours=3), atype=consult)
    settle()
    clock.set(T0)

    winner, bystander, unreachable = (f.patient() for _ in range(3))
    f.entry(winner, follow_up, current_appointment_at=SLOT_AT + dt.timedelta(days=10))
    f.entry(bystander, follow_up)
    f.entry(unreachable, follow_up)
    sms.fail[unreachable.phone.e164] = SendResult(ok=False, error_code="30003", error_message="unreachable")
    for _ in range(3):
        f.entry(f.patient(), physical)

    a = f.cancellation(first, loc, SLOT_AT, atype=follow_up)
    b = f.cancellation(second, loc, SLOT_AT, atype=physical)
    c = f.cancellation(second, loc, SLOT_AT + dt.timedelta(hours=1), atype=physical)
    services.cancellation_withdraw(cancellation_id=c.pk, actor=STAFF)
    d = f.cancellation(second, loc, T0 + dt.timedelta(hours=3), atype=consult)
    settle()

    clock.advance(minutes=5)  # inside the 7-minute hold
    text_in(winner.phone.e164, "YES")
    settle()
    text_in(bystander.phone.e164, "STOP")
    settle()
    clock.advance(minutes=60)
    services.cancellation_ehr_tick(cancellation_id=a.pk, which="booked", actor=STAFF)
    clock.set(T0 + dt.timedelta(hours=3))
    services.cancellation_mark_filled_by_phone(cancellation_id=b.pk, actor=STAFF, note="called in")
    settle()
    return {"a": a, "b": b, "c": c, "d": d, "first": first}


def metrics(**filters):
    start = dt.datetime.combine(DAY, dt.time(0), tzinfo=CHICAGO)
    return fill_metrics(start=start, end=start + dt.timedelta(days=1), **filters)


def test_slot_counts_and_fill_rates(day):
    m = metrics()
    assert (m["slots_logged"], m["slots_filled"], m["filled_by_sms"], m["filled_by_phone"]) == (4, 2, 1, 1)
    assert (m["slots_unfilled"], m["slots_withdrawn"], m["slots_in_progress"]) == (1, 1, 0)
    # withdrawn slots are not failures: 2 filled of 3 decided
    assert m["fill_rate"] == round(2 / 3, 4)
    assert m["fill_rate_2h"] == round(1 / 3, 4)


def test_time_to_fill_median_and_p90(day):
    m = metrics()
    assert m["time_to_fill_minutes"] == {"median": 92.5, "p90": 162.5}


def test_offers_replies_and_texts(day):
    m = metrics()
    assert m["offers"] == 6 and m["offers_per_fill"] == 3.0
    # one YES of five deliverable offers (the unreachable number's offer is undeliverable)
    assert m["reply_rate"] == 0.2
    offer_texts = Message.objects.filter(direction="outbound", offer_link__isnull=False)
    assert m["texts"] == offer_texts.count() and m["texts_per_fill"] == round(offer_texts.count() / 2, 2)
    assert m["delivery_failure_rate"] == round(1 / offer_texts.count(), 4)
    segments = sum(offer_texts.values_list("segments", flat=True))
    assert m["sms_cost_per_fill"] == round(segments * settings.SMS_SEGMENT_PRICE / 2, 4)


def test_opt_outs_staff_actions_and_follow_up(day):
    m = metrics()
    assert m["opt_outs"] == 1 and m["opt_out_rate"] == round(1 / 6, 4)
    # filled by phone and withdrawn needed a human; the text fill and the unfilled slot did not
    assert m["staff_action_share"] == 0.5
    assert m["median_days_moved_up"] == 10.0
    assert m["yes_to_ehr_booked_minutes"]["median"] == 60.0


def test_the_most_texts_one_number_got_in_a_week(day):
    m = metrics()
    per_number = {}
    for phone_id in Message.objects.filter(direction="outbound").values_list("phone_id", flat=True):
        per_number[phone_id] = per_number.get(phone_id, 0) + 1
    assert m["max_texts_per_number_week"] == max(per_number.values()) >= 3


def test_revenue_and_the_daily_series(day):
    m = metrics()
    assert m["estimated_revenue"] == 2 * settings.VISIT_VALUE
    assert m["daily"] == [{"date": DAY, "logged": 4, "filled": 2, "median_time_to_fill_minutes": 92.5}]


def test_breakdowns_by_provider_type_and_notice(day):
    m = metrics()
    by_provider = {row["label"]: (row["slots_logged"], row["slots_filled"]) for row in m["by_provider"]}
    assert by_provider == {"Dr First": (1, 1), "Dr Second": (3, 1)}
    by_type = {row["key"]: row["fill_rate"] for row in m["by_appointment_type"]}
    assert by_type == {"follow-up": 1.0, "physical": 1.0, "consult": 0.0}
    assert [(row["key"], row["slots_logged"]) for row in m["by_notice"]] == [("under 4 hours", 1), ("1-3 days", 3)]


def test_a_filter_narrows_every_figure(day):
    m = metrics(provider=day["first"])
    assert (m["slots_logged"], m["slots_filled"], m["fill_rate"], m["offers"]) == (1, 1, 1.0, 3)
    assert m["staff_action_share"] == 0.0


def test_an_empty_period_has_no_ratios(day):
    start = dt.datetime(2026, 1, 1, tzinfo=CHICAGO)
    m = fill_metrics(start=start, end=start + dt.timedelta(days=2))
    assert m["slots_logged"] == 0 and m["fill_rate"] is None and m["sms_cost_per_fill"] is None
    assert len(m["daily"]) == 2


def test_the_api_serves_the_same_figures(day, integration):
    response = integration.get(API + "metrics/?from=2026-11-25&to=2026-11-25")
    assert response.status_code == 200
    body = response.json()
    m = metrics()
    assert body["slots_logged"] == m["slots_logged"] and body["fill_rate"] == m["fill_rate"]
    assert body["daily"][0]["date"] == "2026-11-25"
    narrowed = integration.get(API + f"metrics/?from=2026-11-25&to=2026-11-25&provider={day['first'].pk}").json()
    assert narrowed["slots_logged"] == 1


def test_offers_of_the_day_are_all_accounted_for(day):
    assert Offer.objects.filter(cancellation__created_at__date=DAY).count() == metrics()["offers"]
