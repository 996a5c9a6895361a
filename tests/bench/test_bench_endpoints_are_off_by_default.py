"""The one-row floor of bench/webhook_load.py is mounted only with CLINICBOT_BENCH_ENDPOINTS=1."""

import pytest
from django.urls import NoReverseMatch, reverse


def test_the_benchmark_endpoint_is_not_mounted_without_its_switch(client, monkeypatch):
    monkeypatch.delenv("CLINICBOT_BENCH_ENDPOINTS", raising=False)
    with pytest.raises(NoReverseMatch):
        reverse("bench-one-row")
    assert client.post("/bench/one-row").status_code == 404
