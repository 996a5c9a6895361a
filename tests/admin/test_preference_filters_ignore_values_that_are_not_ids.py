"""The waitlist's "would see provider" and "would go to location" filters ignore a value that is not
an id. "²" passes `isdigit()` but not `int()`, and it used to be a 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("param", ["provider", "location"])
@pytest.mark.parametrize("value", ["²", "١٢x", "abc"])
def test_an_odd_filter_value_shows_the_list(desk, clinic, param, value):
    response = desk.get("/admin/waitlist/waitlistentry/", {param: value})
    assert response.status_code in (200, 302)
