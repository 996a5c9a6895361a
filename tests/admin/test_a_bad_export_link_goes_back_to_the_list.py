"""A hand-edited or stale export link (a filter on a field that does not exist, a date that is not a
date) returns the manager to the message list with Django's own "bad filter" notice, not a 500."""

import pytest

pytestmark = pytest.mark.django_db
EXPORT = "/admin/messaging/message/export.csv"


@pytest.mark.parametrize("query", [{"created_at__gte": "nonsense"}, {"nofield": "1"}])
def test_a_bad_filter_on_the_export_redirects_to_the_list(manager, query):
    response = manager.get(EXPORT, query)
    assert response.status_code == 302
    assert response["Location"] == "/admin/messaging/message/?e=1"
