"""Import cancellations (freed slots) from a CSV file exported by the EHR."""

from django.core.management.base import BaseCommand, CommandError

from offers.imports import import_cancellations_csv
from waitlist.management.commands.import_waitlist import import_actor, stderr_progress, write_report


class Command(BaseCommand):
    help = "Import cancellations from a CSV file (columns: docs/API.md). Idempotent on external_id."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Report what would happen; change nothing")
        parser.add_argument("--user", help="Record the import under this user (default: csv-import)")
        parser.add_argument("--quiet", action="store_true", help="Only the summary and the problems")

    def handle(self, *args, file, dry_run, user, quiet, **options):
        try:
            report = import_cancellations_csv(file=file, actor=import_actor(user), dry_run=dry_run,
                                              progress=stderr_progress(self.stderr._out))
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}")
        write_report(self, report, quiet=quiet)
