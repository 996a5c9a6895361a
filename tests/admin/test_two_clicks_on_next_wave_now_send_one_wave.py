""""Send next wave now" names the wave the page showed: a double click, or a second person on the
same page, must not text a second wave of patients."""

import pytest

from core.models import AuditEvent
from offers.models import Cancellation, Offer
from tests import factories as f
from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db


def _busy_clinic(clinic, settle):
    # enough patients for three waves, so a second wave would really go out
    for name in ("Eve", "Fay", "Gus", "Hal", "Ivy", "Jo"):
        f.entry(f.patient(first=name), clinic.atype)
    settle()
    return offering_slot(clinic, settle)


def test_two_clicks_on_next_wave_now_send_one_wave(desk, clinic, settle):
    c = _busy_clinic(clinic, settle)
    assert c.current_wave == 1
    page = desk.get(f"/admin/offers/cancellation/{c.pk}/change/").content.decode()
    assert 'name="after_wave" value="1"' in page
    url = f"/admin/offers/cancellation/{c.pk}/act/next_wave/"
    desk.post(url, {"after_wave": "1"})
    second = desk.post(url, {"after_wave": "1"})
    settle()
    c = Cancellation.objects.get(pk=c.pk)
    assert c.current_wave == 2
    assert not Offer.objects.filter(cancellation=c, wave=3).exists()
    assert AuditEvent.objects.filter(action="cancellation.wave", object_id=str(c.pk), actor_user=desk.user).count() == 1
    assert "No wave was sent" in desk.get(second["Location"]).content.decode()


@pytest.mark.parametrize("bad", ["two", "-1", "99999999999999999999999", "1.5"])
def test_a_garbled_wave_number_sends_nothing_and_says_so(desk, clinic, settle, bad):
    c = _busy_clinic(clinic, settle)
    response = desk.post(f"/admin/offers/cancellation/{c.pk}/act/next_wave/", {"after_wave": bad})
    assert response.status_code == 302
    settle()
    assert Cancellation.objects.get(pk=c.pk).current_wave == 1
    assert "out of date" in desk.get(response["Location"]).content.decode()
