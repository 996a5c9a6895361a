"""core/prepared.py compiles a queryset once and binds each call's values into the cached SQL. The
rows must be exactly the queryset's, and a value that would change the SQL's shape (None in a
filter) must be caught in tests, where every call is checked against a fresh compile."""

import datetime as dt

import pytest

from core.prepared import Prepared, distinct, one_of, spread
from messaging.models import Message, PhoneNumber
from tests import factories as f

pytestmark = pytest.mark.django_db

WITH_PHONE = Prepared(lambda p: Message.objects.select_related("phone").filter(phone__e164=p.e164, created_at__gte=p.since).order_by("pk"))
TIMES = Prepared(lambda p: Message.objects.filter(phone_id=p.phone_id).order_by("pk").values_list("pk", "created_at"))
MARK = Prepared(lambda p: (Message.objects.filter(pk=p.message_id, intent=""), {"intent": p.intent}), kind="update")
BY_CONSENT = Prepared(lambda p: PhoneNumber.objects.filter(consent_at=p.consent_at).values_list("pk", flat=True))


def _texts(clock, n: int = 3):
    phone = f.patient().phone
    rows = []
    for i in range(n):
        rows.append(Message.objects.create(direction="inbound", phone=phone, body=f"text {i}",
                                           created_at=clock.current + dt.timedelta(minutes=i)))
    return phone, rows


def test_models_with_their_related_rows_are_the_querysets(clock):
    phone, rows = _texts(clock)
    since = clock.current + dt.timedelta(minutes=1)
    got = WITH_PHONE.all(e164=phone.e164, since=since)
    expected = list(Message.objects.select_related("phone").filter(phone__e164=phone.e164, created_at__gte=since).order_by("pk"))
    assert got == expected == rows[1:]
    assert [m.phone.e164 for m in got] == [phone.e164] * 2
    assert got[0].created_at == rows[1].created_at  # converted back to an aware datetime


def test_a_second_call_binds_its_own_values(clock):
    phone, rows = _texts(clock)
    other, others = _texts(clock, 1)
    assert [pk for pk, _ in TIMES.all(phone_id=phone.pk)] == [m.pk for m in rows]
    assert TIMES.all(phone_id=other.pk) == [(others[0].pk, others[0].created_at)]


def test_an_update_counts_and_changes_only_its_rows(clock):
    phone, rows = _texts(clock)
    assert MARK.update(message_id=rows[0].pk, intent="accept") == 1
    assert MARK.update(message_id=rows[0].pk, intent="decline") == 0  # its condition no longer holds
    assert list(Message.objects.order_by("pk").values_list("intent", flat=True)) == ["accept", "", ""]


def test_a_value_that_changes_the_statements_shape_is_caught_in_tests(clock):
    # consent_at=None is "IS NULL" for the ORM but "= NULL" (never true) once compiled with a placeholder
    f.patient()
    with pytest.raises(AssertionError, match="differs from the ORM"):
        BY_CONSENT.all(consent_at=None)


ONE = Prepared(lambda p: Message.objects.filter(pk=p.message_id))


def test_get_gives_the_row_or_the_querysets_does_not_exist(clock):
    _phone, rows = _texts(clock, 1)
    assert ONE.get(message_id=rows[0].pk) == rows[0]
    with pytest.raises(Message.DoesNotExist):
        ONE.get(message_id=rows[0].pk + 1000)


def _of_phone(p, newest_first: bool):
    return Message.objects.filter(phone_id=p.phone_id).order_by("-pk" if newest_first else "pk").values_list("pk", flat=True)


OF_PHONE = Prepared(_of_phone, keyed=True)


def test_a_keyed_query_keeps_one_statement_per_key(clock):
    phone, rows = _texts(clock)
    pks = [m.pk for m in rows]
    # alternating keys: each call must use its own key's statement, not the one compiled last
    assert OF_PHONE.all(True, phone_id=phone.pk) == pks[::-1]
    assert OF_PHONE.all(False, phone_id=phone.pk) == pks
    assert OF_PHONE.all(True, phone_id=phone.pk) == pks[::-1]


AMONG = Prepared(
    lambda p, n: Message.objects.filter(one_of("phone_id", p, "phone", n)).order_by("pk").values_list("pk", flat=True),
    keyed=True,
)


def test_a_list_of_values_binds_one_placeholder_each(clock):
    a, a_rows = _texts(clock, 2)
    b, b_rows = _texts(clock, 1)
    _c, _c_rows = _texts(clock, 1)
    phones = distinct([b.pk, a.pk, b.pk])
    assert AMONG.all(len(phones), **spread("phone", phones)) == [m.pk for m in a_rows + b_rows]
    assert AMONG.all(1, **spread("phone", [b.pk])) == [b_rows[0].pk]


def test_a_repeated_value_in_a_list_is_caught_in_tests(clock):
    # the ORM writes a repeated value once: the cached statement would have one placeholder too many
    a, _rows = _texts(clock, 1)
    with pytest.raises(AssertionError, match="differs from the ORM"):
        AMONG.all(2, **spread("phone", [a.pk, a.pk]))
