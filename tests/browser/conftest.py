"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser) against
pytest-django's live server. They skip, saying why, where /usr/bin/chromium is missing.

The clinic's clock is shifted to a Wednesday morning (it still ticks), so outreach is inside the
sending window whatever the hour CI runs at. Set CLINICBOT_SCREENSHOT_DIR to save the screenshots
the docs show (docs/screenshots/)."""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from clinicbot import clock as clock_module
from tests import factories as f
from waitlist.management.commands.setup_roles import FRONT_DESK, MANAGER, setup_roles

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# browser steps are plain synchronous code all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "a long browser test password 7"
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
CLINIC_MORNING = dt.datetime(2026, 12, 2, 10, 0, tzinfo=CHICAGO)  # a Wednesday

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - a broken browser install is a reason to skip, not to fail
        pw.stop()
        pytest.skip(f"chromium at {CHROMIUM} did not start: {exc}")
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def clinic_clock():
    """Real time, moved to a Wednesday 10:00 in Chicago: countdowns tick, the sending window is open."""
    offset = CLINIC_MORNING - timezone.now()
    clock_module.set_clock(lambda: timezone.now() + offset)
    yield lambda: timezone.now() + offset
    clock_module.set_clock(None)


@pytest.fixture
def site(live_server, settings, clinic_clock, transactional_db):
    settings.PUBLIC_BASE_URL = live_server.url  # what the simulator signs and the webhook checks
    settings.SMS_BACKEND = "dev"
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SESSION_IDLE_MINUTES = 30
    setup_roles()
    return live_server.url


def make_user(username: str, group: str):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def desk_user(site):
    return make_user("desk", FRONT_DESK)


@pytest.fixture
def manager_user(site):
    return make_user("boss", MANAGER)


class World:
    """A clinic with a handful of waitlisted patients, built through the services."""

    def __init__(self):
        self.location = f.location(name="Northside")
        self.atype = f.appointment_type()
        self.provider = f.provider(self.location, types=[self.atype], name="Dr. Maria Alvarez")
        names = [("Ana", "Garcia"), ("Ben", "Smith"), ("Carla", "Nguyen"), ("Dev", "Patel"), ("Elena", "Johnson"),
                 ("Frank", "Lopez")]
        self.patients = [f.patient(first=first, last=last) for first, last in names]
        self.entries = [f.entry(p, self.atype, urgent=i == 0) for i, p in enumerate(self.patients)]


@pytest.fixture
def world(site):
    return World()


@pytest.fixture
def context(browser, site):
    ctx = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def screenshot(page, name: str) -> None:
    target = os.environ.get("CLINICBOT_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(target) / f"{name}.png"), full_page=True)
