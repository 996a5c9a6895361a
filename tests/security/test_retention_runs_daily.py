"""The retention run is a daily django-q2 schedule, created once however often migrations run."""

import importlib

import pytest
from django.apps import apps as global_apps
from django_q.models import Schedule

from core.tasks import retention_task

pytestmark = pytest.mark.django_db

migration = importlib.import_module("core.migrations.0003_retention_schedule")


def test_a_daily_schedule_calls_the_retention_task():
    schedule = Schedule.objects.get(func="core.tasks.retention_task")
    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1


def test_creating_the_schedule_again_keeps_a_single_one():
    migration.create_schedule(global_apps, None)
    migration.create_schedule(global_apps, None)
    assert Schedule.objects.filter(func="core.tasks.retention_task").count() == 1


def test_the_task_runs_both_retention_jobs_and_audits_them(clock):
    result = retention_task()
    assert set(result) == {"messages", "entries"}
    from core.models import AuditEvent

    assert AuditEvent.objects.filter(action__in=["retention.redact_messages", "retention.idle_entries"]).count() == 2
