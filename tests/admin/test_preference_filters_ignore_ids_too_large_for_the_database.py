"""A provider or location id too large for any database column matches no row: the waitlist list
ignores it, as it ignores any other value that is not an id, instead of a 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", [
    "/admin/waitlist/waitlistentry/?provider=99999999999999999999999",
    "/admin/waitlist/waitlistentry/?location=99999999999999999999999",
    "/admin/waitlist/waitlistentry/?provider=9223372036854775808",
])
def test_a_huge_id_is_not_a_500(superuser, clinic, url):
    assert superuser.get(url).status_code < 500

