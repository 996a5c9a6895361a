"""A manager exports the message log as CSV and reads the fill metrics with their charts."""

import csv
import datetime as dt
import io

import pytest
from playwright.sync_api import expect

from messaging import services as messaging
from messaging.models import Message
from offers.models import Cancellation
from tests import factories as f

from .conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _history(world, now):
    """Slots of the last two weeks, some filled by phone (metrics need a past to show)."""
    for days in range(1, 15):
        logged = now - dt.timedelta(days=days, hours=2)
        for n in range(days % 3 + 1):
            filled = n < 2 or days % 2
            Cancellation.objects.create(
                provider=world.provider, location=world.location, appointment_type=world.atype,
                start_at=logged + dt.timedelta(hours=6, minutes=n * 20), duration_minutes=20,
                status="filled" if filled else "unfilled", end_reason="by_phone" if filled else "exhausted",
                created_at=logged, filled_at=logged + dt.timedelta(minutes=20 + 25 * n + days) if filled else None,
                ended_at=logged + dt.timedelta(minutes=90),
            )


def test_manager_exports_messages_and_reads_the_metrics(context, site, manager_user, world, clinic_clock):
    now = clinic_clock()
    _history(world, now)
    f.cancellation(world.provider, world.location, now + dt.timedelta(hours=5), world.atype)
    offer_phone = Message.objects.filter(direction="outbound", kind="offer").first().phone
    msg, _ = messaging.inbound_record(params={"MessageSid": "SM" + "9" * 32, "From": offer_phone.e164, "Body": "YES"})
    messaging.inbound_process(message_id=msg.pk)

    page = context.new_page()
    login(page, site, "boss")
    page.goto(f"{site}/admin/messaging/message/")
    with page.expect_download() as download:
        page.click("#cb-export-csv")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert len(rows) == Message.objects.count() >= 5
    assert {r["direction"] for r in rows} == {"inbound", "outbound"}
    assert all(r["number"].startswith("***") for r in rows)

    page.goto(f"{site}/admin/")
    page.click("text=Metrics")
    expect(page.locator('[data-metric="slots_logged"] .cb-metric-value')).to_have_text(
        str(Cancellation.objects.count()))
    expect(page.locator('[data-metric="fill_rate_2h"]')).to_contain_text("target 80.0 %")
    expect(page.locator("svg.cb-chart")).to_have_count(2)
    expect(page.locator("svg.cb-chart rect").first).to_be_visible()
    screenshot(page, "metrics")
