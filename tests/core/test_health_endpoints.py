import datetime as dt

import pytest

from clinicbot.clock import now
from core.models import Heartbeat
from core.services import heartbeat_beat

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_names_missing_heartbeats_with_503(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert "timer" in body["checks"]["timer"] and "no heartbeat" in body["checks"]["timer"]


def test_readyz_is_ok_when_every_process_beat_recently(client):
    heartbeat_beat(name="timer", period_seconds=5)
    heartbeat_beat(name="worker", period_seconds=10)
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()


def test_readyz_flags_a_heartbeat_older_than_three_periods(client):
    heartbeat_beat(name="worker", period_seconds=10)
    Heartbeat.objects.create(name="timer", beat_at=now() - dt.timedelta(seconds=16), period_seconds=5)
    body = client.get("/readyz").json()
    assert body["checks"]["timer"].startswith("timer: last heartbeat")
    assert body["checks"]["worker"] == "ok"


def test_readyz_never_shows_secrets(client, settings):
    settings.SECRET_KEY = "super-secret-value-1234567890"
    text = client.get("/readyz").content.decode()
    assert "super-secret" not in text and "postgres://" not in text
