"""A misspelt CLINIC_TIME_ZONE used to start, then fail every board page and timer tick that reads
it. It is refused at start, naming the variable."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from clinicbot.settings.env import parse_time_zone

from ._start import PRODUCTION, assert_refused, start


def test_a_misspelt_clinic_time_zone_refuses_to_start():
    assert_refused(start(**PRODUCTION, CLINIC_TIME_ZONE="America/Chicgo"), "CLINIC_TIME_ZONE")


@pytest.mark.parametrize("zone", ["America/Chicgo", "US/Central ", "america/chicago", "", "America", "/etc/passwd"])
def test_anything_but_a_tz_database_name_is_refused(zone):
    with pytest.raises(ImproperlyConfigured, match="CLINIC_TIME_ZONE"):
        parse_time_zone(zone)


@pytest.mark.parametrize("zone", ["America/Chicago", "US/Central", "UTC", "Europe/Madrid"])
def test_real_zones_are_accepted(zone):
    assert parse_time_zone(zone) == zone
