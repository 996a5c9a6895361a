"""Front desk staff do not reach the managers' pages: no metrics, no changing a message."""

import pytest
from playwright.sync_api import expect

from messaging.models import Message

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_cannot_open_metrics_or_change_messages(context, site, desk_user, world, clinic_clock):
    import datetime as dt

    from tests import factories as f

    f.cancellation(world.provider, world.location, clinic_clock() + dt.timedelta(hours=5), world.atype)
    message = Message.objects.filter(direction="outbound").first()

    page = context.new_page()
    login(page, site, "desk")
    expect(page.locator("nav.cb-quicklinks")).not_to_contain_text("Metrics")
    response = page.goto(f"{site}/admin/metrics/")
    assert response.status == 403

    response = page.goto(f"{site}/admin/messaging/message/{message.pk}/change/")
    assert response.status == 200
    expect(page.locator("input[name=_save]")).to_have_count(0)
    expect(page.locator("textarea, input[name=body]")).to_have_count(0)
    expect(page.locator(".field-body .readonly")).to_contain_text(message.body[:20])
    page.goto(f"{site}/admin/messaging/message/")
    expect(page.locator("#cb-export-csv")).to_have_count(0)
    expect(page.locator(".object-tools a.addlink")).to_have_count(0)  # no "Add message"
