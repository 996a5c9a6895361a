"""CSV import of cancellations from the EHR (the slots it freed), through the same serializer and
services as a POST to /api/v1/cancellations/. Plumbing and report: waitlist/imports.py."""

from __future__ import annotations

from core.actors import Actor
from waitlist.imports import (
    IMPORT_ACTOR,
    ImportReport,
    Progress,
    RowError,
    RowResult,
    check_row_identity,
    find_one,
    parse_when,
    read_csv,
    run_import,
    run_rows,
    validated_data,
)
from waitlist.models import Location, Provider

from . import services
from .api import CancellationSerializer, cancellation_apply
from .models import Cancellation

CANCELLATION_REQUIRED = {"external_id", "provider", "location", "start_at"}
CANCELLATION_COLUMNS = CANCELLATION_REQUIRED | {"duration_minutes", "appointment_type", "reason"}


def import_cancellations_csv(
    *,
    file,
    actor: Actor = IMPORT_ACTOR,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import freed slots: one row per cancellation. `provider` and `location` name them by external
    id, exact name or id; `start_at` is ISO 8601 with offset, or a local time at that location.
    A row for a slot already offering (or ended) that changes its time, provider or location is
    skipped with the reason (withdraw it first), as the API answers 409."""
    report = ImportReport(kind="cancellations", dry_run=dry_run)
    rows = read_csv(file, report, required=CANCELLATION_REQUIRED, known=CANCELLATION_COLUMNS)
    if report.errors:
        return report
    seen: dict[str, int] = {}

    def handle(line: int, row: dict) -> RowResult:
        external_id = check_row_identity(line, row, seen)
        for column in ("provider", "location", "start_at"):
            if not row[column]:
                raise RowError(f"{column} is empty")
        provider = find_one(Provider, row["provider"], "provider", "provider")
        location = find_one(Location, row["location"], "location", "location")
        data = {
            "provider": provider.pk,
            "location": location.pk,
            "start_at": parse_when(row["start_at"], location.tz, "start_at"),
            "external_id": external_id,
        }
        for column in ("duration_minutes", "appointment_type", "reason"):
            if row.get(column):
                data[column] = row[column]
        instance = Cancellation.objects.filter(external_id=external_id).first()
        values = validated_data(CancellationSerializer(instance, data=data))
        try:
            obj, outcome = cancellation_apply(actor=actor, validated=values, instance=instance)
        except services.CancellationLocked as exc:
            raise RowError(str(exc))
        return RowResult(line, outcome, external_id, "", obj.pk)

    return run_import(report, lambda: run_rows(report, rows, handle, progress=progress))
