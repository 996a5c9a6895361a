"""The board's lists stop at a bound (a glance, not a report), but the counts above them are the
clinic's true totals: a busy clinic must not read "100 open slots" when it has more."""

import pytest

from offers import board_selectors
from offers.models import Cancellation, Offer
from tests import factories as f
from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db


def _count(html: str, name: str) -> int:
    marker = f'data-count="{name}">'
    start = html.index(marker) + len(marker)
    return int(html[start:html.index("<", start)])


@pytest.fixture
def small_bound(monkeypatch):
    # a bound of 1 open slot and 2 offers stands in for 100 and 200: same code, fewer rows to make
    monkeypatch.setattr(board_selectors, "LIMIT", 1)


def test_counts_beyond_the_bound_are_the_true_totals(desk, clinic, settle, small_bound):
    for name in ("Eve", "Fay", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lu"):
        f.entry(f.patient(first=name), clinic.atype)
    settle()
    offering_slot(clinic, settle, hours=5)
    assert 'data-more="open"' not in desk.get("/admin/").content.decode()
    for hours in (6, 7):
        offering_slot(clinic, settle, hours=hours)
    open_total = Cancellation.objects.filter(status__in=Cancellation.ACTIVE).count()
    pending_total = Offer.objects.filter(status=Offer.Status.PENDING).count()
    assert open_total == 3 and pending_total > 2
    html = desk.get("/admin/").content.decode()
    assert _count(html, "open") == open_total
    assert _count(html, "pending") == pending_total
    assert f"Showing the first 1 of {open_total}" in html
    assert f"Showing the first 2 of {pending_total}" in html
    assert desk.get("/admin/board/poll/").json()["counts"]["open"] == open_total

