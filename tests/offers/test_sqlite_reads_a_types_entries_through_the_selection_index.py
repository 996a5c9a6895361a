"""SQLite has no statistics on the simulator's fresh databases (nor on a small clinic's), so its
planner chooses between indexes by their shape alone. The engine's two reads of a whole type rely on
its choice (docs/PERFORMANCE.md, section 11): a wave walks `entry_selection_idx` in rank order and
tests the entry's own columns on the index before reading the row; an unfilled slot's summary counts
from that index alone and reads the numbers that cannot be texted through their partial index. A
second index on the type (say, the foreign key's own, put back) makes the planner sort every
candidate instead: these tests fail then."""

import pytest
from django.db import connection

from clinicbot.clock import now
from offers import selectors
from offers.selectors import eligible_entries
from tests import factories as f

from ._support import clinic, slot, waiting

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner; PostgreSQL plans from statistics"),
]


def _plan(queryset) -> list[str]:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [row[-1] for row in cursor.fetchall()]


def _world(clock):
    cl = clinic()
    waiting(3, atype=cl.atype)
    f.entry(f.patient(consent=False), atype=cl.atype)
    return slot(cl)


def test_a_wave_walks_the_selection_index_in_rank_order(clock):
    c = _world(clock)

    plan = _plan(eligible_entries(cancellation=c, at=now())[:3])

    assert "USING INDEX entry_selection_idx" in plan[0], plan
    # the rank (priority) comes from the index; only ties are sorted, one priority at a time
    assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_an_unfilled_slots_summary_counts_from_the_index_alone(clock):
    c = _world(clock)

    plan = _plan(selectors._summary(selectors.Values(selectors._summary_values(c, now()))))

    assert "USING COVERING INDEX entry_selection_idx" in plan[0], plan
    assert any("USING INDEX phone_untextable_idx" in line for line in plan), plan
