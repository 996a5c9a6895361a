"""Import the EHR's waitlist export (CSV): patients, consent and waitlist entries."""

import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.actors import Actor
from waitlist.imports import IMPORT_ACTOR, import_waitlist_csv


def stderr_progress(stream=sys.stderr, every: int = 200):
    """A one-line progress bar on stderr for files large enough to wait for."""

    def show(done: int, total: int) -> None:
        if total < every or (done % every and done != total):
            return
        width = 30
        filled = int(width * done / total)
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} rows")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def import_actor(username: str | None) -> Actor:
    if not username:
        return IMPORT_ACTOR
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"No active user {username!r}.")
    return Actor.api(user)


class Command(BaseCommand):
    help = "Import waitlist entries from a CSV file (columns: docs/API.md). Idempotent on external_id."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Report what would happen; change nothing")
        parser.add_argument("--full-sync", action="store_true",
                            help="Deactivate (discharged) imported entries missing from this file")
        parser.add_argument("--allow-mass-discharge", action="store_true",
                            help="With --full-sync: allow discharging more than half of the imported entries")
        parser.add_argument("--user", help="Record the import under this user (default: csv-import)")
        parser.add_argument("--quiet", action="store_true", help="Only the summary and the problems")

    def handle(self, *args, file, dry_run, full_sync, allow_mass_discharge, user, quiet, **options):
        try:
            report = import_waitlist_csv(
                file=file, actor=import_actor(user), dry_run=dry_run, full_sync=full_sync,
                progress=stderr_progress(self.stderr._out), max_discharge_share=None if allow_mass_discharge else 0.5,
            )
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}")
        write_report(self, report, quiet=quiet)


def write_report(command: BaseCommand, report, *, quiet: bool) -> None:
    for line in report.lines():
        if quiet and not line.startswith(("error", "warning")) and ": skipped" not in line and line != report.summary():
            continue
        command.stdout.write(line)
    if report.errors:
        raise CommandError("; ".join(report.errors))
