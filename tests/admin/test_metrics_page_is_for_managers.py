"""Managers read the fill metrics for a period and a provider, location or visit type: every figure
`offers.metrics.fill_metrics` returns, breakdowns, and two server-drawn SVG charts."""

import re

import pytest

from messaging import services as messaging
from tests import factories as f
from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db
URL = "/admin/metrics/"


def _fill_one(clinic, settle):
    c = offering_slot(clinic, settle)
    offer = c.offers.first()
    msg, _ = messaging.inbound_record(params={"MessageSid": "SM" + "e" * 32, "From": offer.phone.e164, "Body": "YES"})
    messaging.inbound_process(message_id=msg.pk)
    settle()
    clinic.slot(hours=8)  # a second slot, still offering
    settle()
    return c


def _figure(html: str, key: str) -> str:
    match = re.search(rf'data-metric="{re.escape(key)}">.*?cb-metric-value">([^<]*)<', html, re.S)
    assert match, key
    return match.group(1)


def test_manager_sees_the_figures_and_the_charts(manager, clinic, settle):
    _fill_one(clinic, settle)
    response = manager.get(URL, {"start": "2026-11-20", "end": "2026-11-25"})
    html = response.content.decode()
    assert response.status_code == 200
    assert _figure(html, "slots_logged") == "2"
    assert _figure(html, "slots_filled") == "1"
    assert _figure(html, "fill_rate") == "100.0 %"  # the other slot has no outcome yet
    assert _figure(html, "fill_rate_2h") == "100.0 %" and "target 80.0 %" in html
    assert html.count("<svg class=\"cb-chart\"") == 2
    assert "Fills per day" in html and "Nov 25: 1" in html  # the bar's tooltip
    assert "By provider" in html and "Dr. Board Test" in html
    assert "By notice" in html


def test_the_default_period_is_the_last_30_days(manager, clinic, settle):
    _fill_one(clinic, settle)
    html = manager.get(URL).content.decode()
    assert _figure(html, "slots_logged") == "2"
    assert 'value="2026-10-27"' in html and 'value="2026-11-25"' in html


def test_a_filter_narrows_every_figure(manager, clinic, settle):
    _fill_one(clinic, settle)
    other = f.provider(clinic.location, types=[clinic.atype], name="Dr. Elsewhere")
    html = manager.get(URL, {"start": "2026-11-20", "end": "2026-11-25", "provider": other.pk}).content.decode()
    assert _figure(html, "slots_logged") == "0"
    assert _figure(html, "fill_rate") == "–"


def test_a_bad_period_is_explained_not_a_500(manager, clinic):
    response = manager.get(URL, {"start": "2026-11-25", "end": "2026-11-01"})
    assert response.status_code == 200
    assert "The end is before the start." in response.content.decode()
    response = manager.get(URL, {"start": "yesterday", "end": ""})
    assert response.status_code == 200 and "Enter a valid date." in response.content.decode()


def test_front_desk_cannot_open_metrics(desk):
    assert desk.get(URL).status_code == 403
