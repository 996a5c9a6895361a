"""The board's "log a cancellation" form takes the years the API and the imports take: 2999 for 2029
used to become a live slot offered to patients, and 9999-12-31 late in the evening a 500."""

import pytest

from offers.models import Cancellation

from .test_logging_a_cancellation_from_the_board import _post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("day, time", [("2999-11-25", "15:00"), ("9999-12-31", "23:00"), ("0001-01-01", "00:30")])
def test_a_year_outside_the_range_is_an_error_on_the_date(desk, clinic, day, time):
    response = _post(desk, clinic, date=day, time=time)
    assert response.status_code == 200
    assert "from 1900 to 2200" in response.content.decode()
    assert not Cancellation.objects.exists()
