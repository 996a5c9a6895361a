"""The daily retention run (core.tasks.retention_task) as a django-q2 schedule. Idempotent: looked
up by its function, so running this again (or after an operator renamed or retimed the schedule in
the admin) never makes a second one."""

import datetime as dt

from django.db import migrations

NAME = "clinicbot retention (daily)"
FUNC = "core.tasks.retention_task"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    if Schedule.objects.filter(func=FUNC).exists():
        return
    # first run at the next 09:00 UTC (03:00 in Chicago): quiet hours, after the day's traffic
    now = dt.datetime.now(dt.UTC)
    first = now.replace(hour=9, minute=0, second=0, microsecond=0)
    if first <= now:
        first += dt.timedelta(days=1)
    Schedule.objects.create(name=NAME, func=FUNC, schedule_type="D", repeats=-1, next_run=first)


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_audit_append_only"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
