"""core.prepared.PreparedInsert compiles an INSERT once per number of rows and works out only each
call's values, with the fields' own conversions. The rows stored, and the instances handed back,
must be those `bulk_create` gives; under tests each call is checked against Django's own compile."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Subquery

from core.prepared import PreparedInsert
from messaging.models import Message, PhoneNumber
from tests import factories as f
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db

INSERT = PreparedInsert(Message)
BY_NUMBER = PreparedInsert(
    Message, expressions=lambda p: {"phone_id": Subquery(PhoneNumber.objects.filter(e164=p.e164).values("pk")[:1])}
)
COLUMNS = ("direction", "phone_id", "body", "kind", "raw_params", "created_at", "valid_until", "is_auto_reply", "segments")


def _message(phone, i: int, at: dt.datetime, **fields) -> Message:
    return Message(direction="outbound", send_state="queued", phone=phone, body=f"text {i}", kind="offer",
                   raw_params={"n": i, "é": "ü"},
                   created_at=at + dt.timedelta(minutes=i), valid_until=at + dt.timedelta(hours=i), **fields)


def _stored(pks) -> list[tuple]:
    return list(Message.objects.filter(pk__in=pks).order_by("pk").values_list(*COLUMNS))


def test_the_rows_and_instances_are_those_bulk_create_gives(clock):
    phone = f.patient().phone
    ours = INSERT.create([_message(phone, i, clock.current) for i in range(3)])
    theirs = Message.objects.bulk_create([_message(phone, i, clock.current) for i in range(3)])

    assert all(m.pk is not None and not m._state.adding and m._state.db == "default" for m in ours)
    assert len({m.pk for m in ours}) == 3
    assert _stored([m.pk for m in ours]) == _stored([m.pk for m in theirs])
    assert [Message.objects.get(pk=m.pk).raw_params for m in ours] == [{"n": i, "é": "ü"} for i in range(3)]


def test_each_call_binds_its_own_values_through_one_statement_per_row_count(clock):
    phone, other = f.patient().phone, f.patient().phone
    first = INSERT.create([_message(phone, 0, clock.current)])
    second = INSERT.create([_message(other, 7, clock.current, is_auto_reply=True)])

    assert _stored([first[0].pk, second[0].pk]) == [
        ("outbound", phone.pk, "text 0", "offer", {"n": 0, "é": "ü"}, clock.current, clock.current, False, 1),
        ("outbound", other.pk, "text 7", "offer", {"n": 7, "é": "ü"}, clock.current + dt.timedelta(minutes=7),
         clock.current + dt.timedelta(hours=7), True, 1),
    ]


def test_a_query_valued_column_takes_each_calls_value(clock):
    phone, other = f.patient().phone, f.patient().phone
    first = Message(direction="inbound", body="YES", created_at=clock.current)
    second = Message(direction="inbound", body="NO", created_at=clock.current)

    BY_NUMBER.create([first], e164=other.e164)
    BY_NUMBER.create([second], e164=phone.e164)

    assert Message.objects.get(pk=first.pk).phone_id == other.pk
    assert Message.objects.get(pk=second.pk).phone_id == phone.pk


def test_a_number_the_query_does_not_find_is_refused_by_the_database(clock):
    # inbound_record relies on it: a text from an unknown number is stored once the number is
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            BY_NUMBER.create([Message(direction="inbound", body="YES", created_at=clock.current)], e164="+13125550999")
    assert not Message.objects.exists()


def test_more_rows_than_one_statement_takes_go_in_batches(clock, monkeypatch):
    phone = f.patient().phone
    monkeypatch.setattr(type(connection.ops), "bulk_batch_size", lambda self, fields, objs: 2)

    stored = INSERT.create([_message(phone, i, clock.current) for i in range(5)])

    assert len({m.pk for m in stored}) == 5
    assert [body for _, _, body, *_ in _stored([m.pk for m in stored])] == [f"text {i}" for i in range(5)]


def test_an_expression_among_the_plain_values_is_refused(clock):
    phone = f.patient().phone
    with pytest.raises(TypeError, match="plain values"):
        INSERT.create([_message(phone, 0, clock.current, segments=F("attempts") + 1)])
    assert not Message.objects.exists()


def test_a_row_that_already_has_a_key_is_refused(clock):
    phone = f.patient().phone
    stored = INSERT.create([_message(phone, 0, clock.current)])[0]
    with pytest.raises(ValueError, match="primary key"):
        INSERT.create([stored])


def test_a_model_with_a_database_default_or_an_automatic_time_is_refused_at_once():
    # a number's `created_at` is auto_now_add; an entry's `offer_caps_rule` has a database default
    for model, field in ((PhoneNumber, "created_at"), (WaitlistEntry, "offer_caps_rule")):
        with pytest.raises(ValueError, match=field):
            PreparedInsert(model)
