"""Django's change view draws the record for any method but a successful POST. Only a GET used to
write the access record, so `OPTIONS` on a patient's page (or a POST that failed validation) showed
the patient and their thread with no trace."""

import pytest

from core.models import AuditEvent
from tests import factories as f

from .conftest import INBOUND, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(clock, settle, post_signed):
    p = f.patient(first="Ines")
    f.entry(p)
    post_signed(INBOUND, {"MessageSid": "SM" + "c" * 32, "From": p.phone.e164, "Body": "what time?"})
    settle()
    return p


def _accesses(user):
    return list(AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS, actor_user=user).values_list("action", flat=True))


@pytest.mark.parametrize("method", ["options", "put"])
def test_a_patient_page_drawn_for_another_method_is_recorded(client, patient, method):
    desk = make_staff("desk", group="Front desk")
    client.force_login(desk)
    response = getattr(client, method)(f"/admin/waitlist/patient/{patient.pk}/change/")
    assert response.status_code == 200 and "Ines" in response.content.decode()
    assert _accesses(desk) == ["view:patient"]


def test_a_post_that_fails_validation_shows_the_page_and_is_recorded(client, patient):
    desk = make_staff("desk", group="Front desk")
    client.force_login(desk)
    response = client.post(f"/admin/waitlist/patient/{patient.pk}/change/", {})
    assert response.status_code == 200 and "Ines" in response.content.decode()
    assert _accesses(desk) == ["view:patient"]


def test_options_on_a_message_thread_is_recorded(client, patient):
    desk = make_staff("desk", group="Front desk")
    client.force_login(desk)
    response = client.options(f"/admin/messaging/phonenumber/{patient.phone_id}/change/")
    assert response.status_code == 200
    assert _accesses(desk) == ["view:message_thread"]
