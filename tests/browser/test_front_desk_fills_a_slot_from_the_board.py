"""The front desk's day in one run: log a cancellation on the board, watch the offers appear with
live countdowns, a patient answers YES from the phone simulator (through the signed webhook), the
board shows the fill without a reload, and the desk ticks both EHR follow-ups."""

import re

import pytest
from playwright.sync_api import expect

from offers.models import Cancellation, Offer

from .conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_logs_a_slot_sees_it_filled_by_sms_and_ticks_the_ehr(context, site, desk_user, world):
    board = context.new_page()
    login(board, site, "desk")

    board.select_option("#id_provider", label="Dr. Maria Alvarez")
    board.select_option("#id_location", label="Northside Clinic")
    board.fill("#id_time", "15:00")
    board.click("#cb-log-submit")
    expect(board.locator(".messagelist")).to_contain_text("Logged")

    offers = board.locator('[data-section="pending"] tr[data-offer]')
    expect(offers).to_have_count(3)
    expect(board.locator('[data-count="pending"]')).to_have_text("3")
    countdown = board.locator(".cb-countdown").first
    expect(countdown).to_have_text(re.compile(r"^\d+:\d\d left$"))
    first = countdown.text_content()
    expect(countdown).not_to_have_text(first, timeout=3000)  # it ticks
    slot = Cancellation.objects.get()
    assert slot.status == Cancellation.Status.OFFERING and slot.logged_by == "desk"
    screenshot(board, "board")

    slot_page = context.new_page()
    slot_page.goto(f"{site}/admin/offers/cancellation/{slot.pk}/change/")
    expect(slot_page.locator("h3.cb-wave")).to_have_text(["Wave 1"])
    expect(slot_page.locator("tr[data-offer] .cb-countdown")).to_have_count(3)
    screenshot(slot_page, "cancellation")
    slot_page.close()

    # the board must update in place: a full reload would drop this marker
    board.evaluate("window.__noReload = true")

    winner = Offer.objects.filter(cancellation=slot).order_by("-score").first()
    phone = context.new_page()
    phone.goto(f"{site}/admin/simulator/{winner.phone_id}/")
    expect(phone.locator("#sim-thread")).to_contain_text("Reply YES by")
    phone.fill("#sim-body", "Yes please")
    phone.click("#sim-send")
    expect(phone.locator("#sim-thread")).to_contain_text("you are booked")
    phone.close()

    fill_row = board.locator(f'[data-section="ehr"] tr[data-fill="{slot.pk}"]')
    expect(fill_row).to_be_visible(timeout=12_000)
    expect(board.locator('[data-count="pending"]')).to_have_text("0")
    expect(board.locator('[data-count="filled_today"]')).to_have_text("1")
    assert board.evaluate("window.__noReload") is True

    fill_row.locator('input[data-tick="booked"]').click()
    board.locator(f'[data-section="ehr"] tr[data-fill="{slot.pk}"] input[data-tick="released"]').click()
    expect(board.locator('[data-section="ehr"] tr[data-fill]')).to_have_count(0)
    slot.refresh_from_db()
    assert slot.status == Cancellation.Status.FILLED and slot.filled_offer_id == winner.pk
    assert slot.ehr_booked_by == "desk" and slot.ehr_released_by == "desk"
