"""The message log is evidence: nobody adds, changes or deletes a message in the console, superusers
included. Everyone with the view permission can read and filter it."""

import pytest

from messaging.models import Message
from tests.admin.conftest import offering_slot

pytestmark = pytest.mark.django_db
LIST = "/admin/messaging/message/"


@pytest.mark.parametrize("who", ["desk", "manager", "superuser"])
def test_no_one_can_add_change_or_delete_a_message(who, request, clinic, settle):
    client = request.getfixturevalue(who)
    offering_slot(clinic, settle)
    msg = Message.objects.filter(direction="outbound").first()
    body = msg.body
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{msg.pk}/change/", {"body": "rewritten"}).status_code == 403
    assert client.post(f"{LIST}{msg.pk}/delete/", {"post": "yes"}).status_code == 403
    page = client.get(f"{LIST}{msg.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    msg.refresh_from_db()
    assert msg.body == body


def test_bulk_delete_is_not_offered(superuser, clinic, settle):
    offering_slot(clinic, settle)
    response = superuser.get(LIST)
    assert "delete_selected" not in response.content.decode()


def test_filters_narrow_the_list(desk, clinic, settle):
    offering_slot(clinic, settle)
    phone = clinic.patients[0].phone
    Message.objects.create(direction="outbound", phone=phone, body="x", send_state="failed", error_code="30007",
                           created_at=Message.objects.first().created_at)
    def rows(**params):
        return {m.pk for m in desk.get(LIST, params).context["cl"].result_list}
    failed = rows(send_state__exact="failed")
    assert failed == set(Message.objects.filter(send_state="failed").values_list("pk", flat=True))
    assert rows(error_code="30007") == failed
    assert rows(direction__exact="inbound") == set()
    assert len(rows(direction__exact="outbound")) == Message.objects.filter(direction="outbound").count()
