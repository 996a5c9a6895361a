import pytest
from django.db import connection

from offers import simulation as sim

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_scratch_database_has_a_large_page_cache_and_a_memory_map(tmp_path):
    # The scratch settings replace the configured database's init_command: a scratch file left
    # with SQLite's 2 MiB default cache re-read a 20,000-patient waitlist from the OS on every pick.
    with sim.database_swapped(sim.sqlite_scratch_settings(tmp_path / "scratch.sqlite3")):
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            cache = cursor.fetchone()[0]
            cursor.execute("PRAGMA mmap_size")
            mmap = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            synchronous = cursor.fetchone()[0]
    # a negative cache_size is in KiB
    assert cache <= -64 * 1024
    assert mmap >= 256 * 1024 * 1024
    assert synchronous == 0  # OFF: a throwaway file needs no durability
