"""Staff give a patient another number while a wave is offering that patient on the old one: the
wave must not write the old number's caps bound onto the patient's entries after the change
cleared it, or the patient would be passed over for up to a week on a number never offered."""

import threading
import time

import pytest
from django.db import connection

from offers import services
from offers.models import Offer
from tests import factories as f
from waitlist import services as waitlist

from ._support import SLOT_AT, clinic, run_together, slot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _someone_waits_on_a_lock(timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cur:
        while time.monotonic() < deadline:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cur.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def test_a_wave_racing_a_change_of_number_leaves_no_bound_from_the_old_number(clock, sms, monkeypatch):
    sms.plays_provider = False
    cl = clinic()
    p = f.patient()
    e = f.entry(p, atype=cl.atype)
    # the slot is logged with its first wave held back, so the race below starts it
    monkeypatch.setattr("offers.tasks.wave_advance_task", lambda cancellation_id: None)
    c = slot(cl, start_at=SLOT_AT)
    monkeypatch.undo()
    new_number = f.phone_number()

    changing, go_on = threading.Event(), threading.Event()
    real_audit = waitlist.audit_record

    def audit_then_wait(**kwargs):
        # the change of number is written but not committed: hold it open while the wave runs
        event = real_audit(**kwargs)
        if kwargs.get("action") == "patient.update":
            changing.set()
            go_on.wait(10)
        return event

    monkeypatch.setattr(waitlist, "audit_record", audit_then_wait)

    def change_number():
        return waitlist.patient_upsert(actor=f.STAFF, first_name=p.first_name, last_name=p.last_name,
                                       phone=new_number, consent_source="written", patient=p)

    def wave():
        changing.wait(10)
        return services.wave_advance(cancellation_id=c.pk)

    def release():
        changing.wait(10)
        _someone_waits_on_a_lock()  # the wave has reached the change's locks
        go_on.set()

    results = run_together(change_number, wave, release)
    assert not any(isinstance(r, BaseException) for r in results), results
    assert Offer.objects.filter(cancellation=c, entry=e).exists()  # the wave did offer the old number
    e.refresh_from_db()
    p.refresh_from_db()
    assert p.phone.e164 == new_number
    # the new number has never been offered anything: no cap can keep the entry out
    assert e.offer_capped_until is None
