"""CSV import of the EHR's nightly waitlist export (patients, their SMS consent and their entries),
plus the CSV plumbing the cancellation import (offers/imports.py) shares.

Rows are validated by the API's serializers and saved by the same services, so a row and a POST
obey the same rules. Each row runs in its own savepoint: a bad row is reported and never aborts the
good ones. Rows are matched on `external_id`, so importing the same file twice changes nothing.
`dry_run` runs everything inside one transaction and rolls it back. Columns: docs/API.md."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import logging
import re
import zoneinfo
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

from core.actors import Actor
from messaging.models import ConsentEvent, PhoneNumber

from . import services
from .api import PatientSerializer, WaitlistEntrySerializer, entry_apply, patient_apply
from .models import Location, Patient, Provider, WaitlistEntry

log = logging.getLogger(__name__)

MAX_FIELD = 10_000
Progress = Callable[[int, int], None]


class RowError(Exception):
    """This row is skipped, for the reason given."""


@dataclass
class RowResult:
    line: int
    outcome: str  # created, updated, unchanged, skipped, deactivated
    external_id: str = ""
    reason: str = ""
    object_id: int | None = None

    def __str__(self):
        ident = f" ({self.external_id})" if self.external_id else ""
        where = f"line {self.line}" if self.line else "entry"
        return f"{where}{ident}: {self.outcome}" + (f": {self.reason}" if self.reason else "")


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do), row by row."""

    kind: str
    dry_run: bool = False
    full_sync: bool = False
    rows: list[RowResult] = field(default_factory=list)
    deactivated: list[RowResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # file-level problems: nothing was imported
    warnings: list[str] = field(default_factory=list)
    # first lines of records that could not be split into cells (an unclosed quote runs lines
    # together): the entries on them are unknown, so a full sync cannot tell who is missing
    unreadable: list[int] = field(default_factory=list)

    def _with(self, outcome: str) -> list[RowResult]:
        return [r for r in self.rows if r.outcome == outcome]

    @property
    def created(self) -> list[RowResult]:
        return self._with("created")

    @property
    def updated(self) -> list[RowResult]:
        return self._with("updated")

    @property
    def unchanged(self) -> list[RowResult]:
        return self._with("unchanged")

    @property
    def skipped(self) -> list[RowResult]:
        return self._with("skipped")

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.rows), "created": len(self.created), "updated": len(self.updated),
            "unchanged": len(self.unchanged), "skipped": len(self.skipped), "deactivated": len(self.deactivated),
        }

    def summary(self) -> str:
        c = self.counts()
        text = (f"{self.kind}: {c['rows']} rows: {c['created']} created, {c['updated']} updated, "
                f"{c['unchanged']} unchanged, {c['skipped']} skipped")
        if self.full_sync:
            text += f", {c['deactivated']} deactivated (missing from the export)"
        if self.dry_run:
            text += " (dry run: nothing was saved)"
        return text

    def lines(self) -> list[str]:
        """The report as text: problems first, then each row that was not simply unchanged."""
        out = [f"error: {e}" for e in self.errors] + [f"warning: {w}" for w in self.warnings]
        out += [str(r) for r in self.rows if r.outcome != "unchanged"]
        out += [str(r) for r in self.deactivated]
        out.append(self.summary())
        return out


# --- reading a CSV file -------------------------------------------------------------------------------------


def _read_bytes(file) -> bytes:
    if isinstance(file, bytes):
        return file
    if isinstance(file, str):
        with open(file, "rb") as fh:
            return fh.read()
    if hasattr(file, "chunks"):  # a Django UploadedFile
        return b"".join(file.chunks())
    data = file.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def normalize_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", (name or "").replace("\ufeff", "").strip().lower()).strip("_")



def check_row_identity(line: int, row: dict, seen: dict[str, int]) -> str:
    """The checks every import row passes first: an external id to match on, used once per file,
    and no field too long. Returns the external id; raises RowError with the reason."""
    external_id = row["external_id"]
    if not external_id:
        raise RowError("external_id is empty (rows are matched on it)")
    if len(external_id) > 64:
        raise RowError("external_id is longer than 64 characters")
    if external_id in seen:
        raise RowError(f"duplicate of line {seen[external_id]} (same external_id)")
    seen[external_id] = line
    for column, value in row.items():
        if len(value) > MAX_FIELD:
            raise RowError(f"{column}: longer than {MAX_FIELD} characters")
    return external_id

def _line_list(numbers: list[int], shown: int = 10) -> str:
    text = ", ".join(str(n) for n in numbers[:shown])
    return text + (f" and {len(numbers) - shown} more" if len(numbers) > shown else "")


def _decode_lines(raw: bytes, report: ImportReport) -> list[str]:
    """The file's physical lines, each decoded on its own: UTF-8, or Windows-1252 for a line that
    is not UTF-8. One stray byte used to re-read the whole file as Windows-1252, mangling every
    correctly encoded accented name in it."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    lines, legacy = [], []
    # bytes.splitlines breaks at \r, \n and \r\n only, as the csv reader does
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
            legacy.append(number)
    if legacy:
        report.warnings.append(
            f"Line{'s' if len(legacy) > 1 else ''} {_line_list(legacy)} {'are' if len(legacy) > 1 else 'is'} not "
            "UTF-8; read as Windows-1252. Check the accented names there."
        )
    if any("\x00" in line for line in lines):
        lines = [line.replace("\x00", "") for line in lines]
        report.warnings.append("The file contained NUL bytes; they were removed.")
    return lines


def read_csv(file, report: ImportReport, *, required: set[str], known: set[str]) -> list[tuple[int, dict]]:
    """Rows as (line number, {column: stripped text}). Tolerates a UTF-8 BOM, Windows or old Mac line
    endings, blank lines and stray NUL bytes; reports what it could not read."""
    lines = _decode_lines(_read_bytes(file), report)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        report.errors.append("The file is empty.")
        return []
    except csv.Error as exc:
        report.errors.append(f"Cannot read the header line: {exc}.")
        return []
    columns = [normalize_header(h) for h in header]
    missing = sorted(required - set(columns))
    if missing:
        report.errors.append(f"Missing required column(s): {', '.join(missing)}. Columns found: "
                             f"{', '.join(c for c in columns if c) or 'none'}.")
        return []
    unknown = [c for c in columns if c and c not in known]
    if unknown:
        report.warnings.append(f"Ignored unknown column(s): {', '.join(unknown)}.")
    id_at = columns.index("external_id") if "external_id" in columns else None
    rows: list[tuple[int, dict]] = []
    while True:
        first = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            last = max(first, reader.line_num)
            span = f"lines {first}-{last}: " if last > first else ""
            _skip_unreadable(report, lines, first, last, f"{span}unreadable CSV: {exc}")
            continue
        line = reader.line_num
        if line > first or any("\n" in v or "\r" in v for v in values):
            _skip_unreadable(report, lines, first, line, (
                'a quote (") opened on this line is not closed'
                + (f": lines {first}-{line} read as one row (none of them was imported)" if line > first else "")
                + "; fix it in the file"))
            continue
        if not any(v.strip() for v in values):
            continue  # a blank line
        # the entry a malformed row names still counts as present for a full sync
        ident = values[id_at].strip()[:64] if id_at is not None and id_at < len(values) else ""
        if len(values) > len(columns):
            extra = [v for v in values[len(columns):] if v.strip()]
            if extra:
                report.rows.append(RowResult(line, "skipped", ident,
                                             f"{len(values)} fields, the header has {len(columns)}"))
                continue
        absent = [c for c in columns[len(values):] if c and c in known]
        if absent:
            # not padded: an empty cell would clear the stored value
            report.rows.append(RowResult(line, "skipped", ident, f"{len(values)} fields, the header has "
                                         f"{len(columns)} (no {', '.join(absent[:5])}{'...' if len(absent) > 5 else ''})"))
            continue
        row = {}
        for name, value in zip(columns, values, strict=False):
            if name and name in known:
                row[name] = value.strip()
        rows.append((line, row))
    return rows


def _skip_unreadable(report: ImportReport, lines: list[str], first: int, last: int, reason: str) -> None:
    """Lines `first` to `last` could not be read as rows (typically a quote opened on `first` and
    never closed ran them together): each non-blank one is reported, none imported, so no row
    disappears from the report unnoticed."""
    report.unreadable.append(first)
    report.rows.append(RowResult(first, "skipped", reason=reason))
    for number in range(first + 1, last + 1):
        if number <= len(lines) and lines[number - 1].strip():
            report.rows.append(RowResult(number, "skipped", reason=f"read together with line {first} (see there)"))


# --- turning cells into API values --------------------------------------------------------------------------

TRUE = {"1", "y", "yes", "true", "t", "x"}
FALSE = {"0", "n", "no", "false", "f", ""}
WEEKDAY_NAMES = {name: i for i, names in enumerate(
    [("mon", "monday"), ("tue", "tues", "tuesday"), ("wed", "wednesday"), ("thu", "thur", "thurs", "thursday"),
     ("fri", "friday"), ("sat", "saturday"), ("sun", "sunday")]) for name in names}
DATE_FORMATS = ["%m/%d/%Y"]
DATETIME_FORMATS = ["%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M%p", "%Y-%m-%d %I:%M %p"]


def split_list(cell: str, *, commas: bool = False) -> list[str]:
    """A list cell: `;` or `|` between items (docs/API.md). Commas only where no item can hold one
    (weekdays, provider kinds): a provider may be named "Lee, Ana"."""
    return [part.strip() for part in re.split(r"[;|,]" if commas else r"[;|]", cell or "") if part.strip()]


def parse_bool(cell: str, column: str) -> bool:
    value = (cell or "").strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise RowError(f"{column}: {cell[:40]!r} is not yes/no")


def parse_weekdays(cell: str) -> list[int]:
    days = []
    for part in split_list(cell, commas=True):
        key = part.lower()
        if key.isdigit() and len(key) == 1:
            days.append(int(key))  # the serializer checks 0-6
        elif key in WEEKDAY_NAMES:
            days.append(WEEKDAY_NAMES[key])
        else:
            raise RowError(f"weekdays: {part[:20]!r} is not a weekday (0 = Monday ... 6 = Sunday, or Mon, Tue...)")
    return days


def localize(naive: dt.datetime, tz: zoneinfo.ZoneInfo, column: str) -> dt.datetime:
    """A wall-clock time in `tz`; a time the clock skips or repeats (DST) is refused, not guessed."""
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        raise RowError(f"{column}: {naive:%Y-%m-%d %H:%M} does not exist or happens twice in {tz.key} "
                       "(daylight saving change); give the UTC offset")
    return first


def parse_when(cell: str, tz: zoneinfo.ZoneInfo, column: str, *, date_only: bool = False) -> dt.datetime | None:
    """ISO 8601 with or without offset, or a US-style date and time; no offset = local time in `tz`."""
    text = (cell or "").strip()
    if not text:
        return None
    parsed = None
    try:
        parsed = parse_datetime(text)
    except ValueError:
        raise RowError(f"{column}: {text[:40]!r} is not a valid date and time")
    if parsed is not None and not date_only and _is_date(text):
        # Python reads a bare date as midnight: a slot or appointment needs its time of day
        raise RowError(f"{column}: {text[:40]!r} has no time of day (use 2026-11-26 14:30 or ISO 8601)")
    if parsed is None:
        for fmt in DATETIME_FORMATS:
            try:
                parsed = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None and date_only:
        day = None
        try:
            day = parse_date(text)
        except ValueError:
            pass
        for fmt in DATE_FORMATS:
            if day is None:
                try:
                    day = dt.datetime.strptime(text, fmt).date()
                except ValueError:
                    continue
        if day is not None:
            parsed = dt.datetime.combine(day, dt.time(0))
    if parsed is None:
        raise RowError(f"{column}: {text[:40]!r} is not a date and time (use 2026-11-26 14:30 or ISO 8601)")
    return parsed if parsed.tzinfo else localize(parsed, tz, column)


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def parse_day(cell: str, column: str) -> str | None:
    text = (cell or "").strip()
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return text  # ISO dates (and errors) are the serializer's


def find_one(model, cell: str, column: str, what: str):
    """A provider or location by external id, exact name or id, as the EHR knows it."""
    key = cell.strip()
    found = model.objects.filter(external_id=key).first()
    if found is None:
        by_name = list(model.objects.filter(name__iexact=key)[:2])
        if len(by_name) == 2:
            raise RowError(f"{column}: more than one {what} is named {key[:60]!r}; use its external id")
        found = by_name[0] if by_name else None
    if found is None and key.isascii() and key.isdigit() and len(key) < 19:
        found = model.objects.filter(pk=int(key)).first()
    if found is None:
        raise RowError(f"{column}: unknown {what} {key[:60]!r}")
    return found


def find_each(model, cell: str, column: str, what: str) -> list[int]:
    """Ids of the providers or locations a list cell names (`;` or `|` between them)."""
    found = []
    for part in split_list(cell):
        try:
            found.append(find_one(model, part, column, what).pk)
        except RowError as exc:
            if "," in part and "unknown" in str(exc):
                raise RowError(f"{exc} (separate several with ; or |)") from None
            raise
    return found


def describe(detail) -> str:
    """DRF or Django validation errors as one line: 'field: reason; other: reason'."""
    if isinstance(detail, DjangoValidationError):
        detail = detail.message_dict if hasattr(detail, "error_dict") else {"": detail.messages}
    if isinstance(detail, serializers.ValidationError):
        detail = detail.detail
    parts: list[str] = []

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, item in value.items():
                name = key if key not in ("non_field_errors", "__all__", "") else ""
                walk(f"{prefix}.{name}" if prefix and name else (prefix or name), item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(prefix, item)
        else:
            parts.append(f"{prefix}: {value}" if prefix else str(value))

    walk("", detail)
    return "; ".join(parts) or "invalid"


def run_rows(report: ImportReport, rows: list[tuple[int, dict]], handle: Callable[[int, dict], RowResult], *,
             progress: Progress | None = None) -> None:
    """Each row in its own savepoint: a failure rolls back that row only and is reported."""
    total = len(rows)
    for done, (line, row) in enumerate(rows, start=1):
        external_id = (row.get("external_id") or "")[:64]
        try:
            with transaction.atomic():
                result = handle(line, row)
        except RowError as exc:
            result = RowResult(line, "skipped", external_id, str(exc))
        except (serializers.ValidationError, DjangoValidationError) as exc:
            result = RowResult(line, "skipped", external_id, describe(exc))
        except Exception as exc:  # noqa: BLE001 - one bad row must not abort the others
            log.exception("import %s: line %s failed", report.kind, line)
            result = RowResult(line, "skipped", external_id, f"unexpected error ({exc.__class__.__name__}); see the log")
        report.rows.append(result)
        if progress is not None:
            progress(done, total)
    report.rows.sort(key=lambda r: r.line)


def run_import(report: ImportReport, body: Callable[[], None]) -> ImportReport:
    """Run an import; with dry_run, inside one transaction that is rolled back (and whose
    after-commit texts are never sent)."""
    with transaction.atomic() if report.dry_run else nullcontext():
        body()
        if report.dry_run:
            transaction.set_rollback(True)
    return report


def clinic_tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)


# --- the waitlist import -------------------------------------------------------------------------------------

WAITLIST_REQUIRED = {"external_id", "first_name", "last_name", "phone"}
WAITLIST_COLUMNS = WAITLIST_REQUIRED | {
    "patient_external_id", "relationship", "language", "consent_source", "consent_at", "appointment_type",
    "visit_minutes", "urgent", "manual_boost", "boost_reason", "current_appointment_at",
    "current_appointment_provider", "current_appointment_location", "ready_from", "providers", "locations",
    "provider_kinds", "weekdays", "earliest_time", "latest_time", "min_notice_hours", "joined_at",
}
IMPORT_ACTOR = Actor(Actor.API, "csv-import")


def _patient_payload(row: dict, tz) -> dict:
    data = {"first_name": row["first_name"], "last_name": row["last_name"], "phone": row["phone"]}
    for column in ("relationship", "language"):
        if row.get(column):
            data[column] = row[column].lower()
    if row.get("consent_source"):
        data["consent_source"] = row["consent_source"].lower()
        if row.get("consent_at"):
            data["consent_at"] = parse_when(row["consent_at"], tz, "consent_at", date_only=True)
    if row.get("patient_external_id"):
        data["external_id"] = row["patient_external_id"]
    return data


def _entry_payload(row: dict, patient: Patient, tz) -> dict:
    """Columns present in the file are the truth: an empty cell clears the value (the EHR removed
    it). Columns absent from the file leave stored values alone."""
    data: dict = {"patient": patient.pk, "external_id": row["external_id"]}
    if "appointment_type" in row:
        data["appointment_type"] = row["appointment_type"] or services.appointment_type_default().code
    for column, empty in (("visit_minutes", None), ("manual_boost", 0), ("min_notice_hours", 0)):
        if column in row:
            data[column] = row[column] or empty
    if "boost_reason" in row:
        data["boost_reason"] = row["boost_reason"]
    if "urgent" in row:
        data["urgent"] = parse_bool(row["urgent"], "urgent")
    if "current_appointment_at" in row:
        data["current_appointment_at"] = parse_when(row["current_appointment_at"], tz, "current_appointment_at")
    for column, model, what in (("current_appointment_provider", Provider, "provider"),
                                ("current_appointment_location", Location, "location")):
        if column in row:
            data[column] = find_one(model, row[column], column, what).pk if row[column] else None
    if "ready_from" in row:
        data["ready_from"] = parse_day(row["ready_from"], "ready_from")
    if "providers" in row:
        data["providers"] = find_each(Provider, row["providers"], "providers", "provider")
    if "locations" in row:
        data["locations"] = find_each(Location, row["locations"], "locations", "location")
    if "provider_kinds" in row:
        kinds = {k.lower(): k for k in ("MD", "DO", "NP", "PA", "other")}
        data["provider_kinds"] = [kinds.get(k.lower(), k) for k in split_list(row["provider_kinds"], commas=True)]
    if "weekdays" in row:
        data["weekdays"] = parse_weekdays(row["weekdays"])
    for column in ("earliest_time", "latest_time"):
        if column in row:
            data[column] = row[column] or None
    if row.get("joined_at"):
        data["joined_at"] = parse_when(row["joined_at"], tz, "joined_at", date_only=True)
    return data


def validated_data(serializer) -> dict:
    if not serializer.is_valid():
        raise serializers.ValidationError(serializer.errors)
    return dict(serializer.validated_data)


def import_waitlist_csv(
    *,
    file,
    actor: Actor = IMPORT_ACTOR,
    dry_run: bool = False,
    full_sync: bool = False,
    progress: Progress | None = None,
    max_discharge_share: float | None = 0.5,
) -> ImportReport:
    """Import the EHR's waitlist export: one row per waitlist entry, with its patient and consent.

    `file`: a path, bytes, or a file object (an admin upload). `full_sync`: active entries that came
    from an import (they have an external_id) and are missing from this file are deactivated as
    `discharged`, and listed in the report; refused when the file has no rows, or when it would
    discharge more than `max_discharge_share` of them (a truncated export; pass None to allow)."""
    report = ImportReport(kind="waitlist", dry_run=dry_run, full_sync=full_sync)
    rows = read_csv(file, report, required=WAITLIST_REQUIRED, known=WAITLIST_COLUMNS)
    if report.errors:
        return report
    tz = clinic_tz()
    seen: dict[str, int] = {}

    def handle(line: int, row: dict) -> RowResult:
        external_id = check_row_identity(line, row, seen)
        entry = WaitlistEntry.objects.filter(external_id=external_id).select_related("patient__phone").first()
        if entry is not None and not entry.active and entry.inactive_reason != WaitlistEntry.InactiveReason.DISCHARGED:
            return RowResult(line, "unchanged", external_id,
                             f"entry is inactive ({entry.get_inactive_reason_display().lower()}); an import does not "
                             "reactivate it", entry.pk)
        patient = None
        if row.get("patient_external_id"):
            patient = Patient.objects.filter(external_id=row["patient_external_id"]).select_related("phone").first()
        if patient is None and entry is not None:
            patient = entry.patient
        patient_values = validated_data(PatientSerializer(patient, data=_patient_payload(row, tz)))
        if not patient_values.get("consent_source"):
            number = PhoneNumber.objects.filter(e164=patient_values["phone"]).first()
            if number is None or number.consent_at is None:
                raise RowError("no SMS consent: consent_source is empty and the number has no consent on record")
        # the consent is the EHR's whoever runs the import (staff may upload the file): recorded as
        # an import's, it cannot clear a wrong-number report as a staff member's own consent does
        patient, patient_outcome = patient_apply(actor=actor, validated=patient_values, instance=patient,
                                                 consent_event_source=ConsentEvent.Source.IMPORT)
        entry_values = validated_data(WaitlistEntrySerializer(entry, data=_entry_payload(row, patient, tz)))
        entry_obj, outcome = entry_apply(actor=actor, validated=entry_values, instance=entry)
        reason = ""
        if entry is not None and not entry.active:
            services.entry_reactivate(entry_id=entry.pk, actor=actor)
            outcome, reason = "updated", "reactivated: back in the export"
        if outcome == "unchanged" and patient_outcome != "unchanged":
            outcome, reason = "updated", "patient details changed"
        return RowResult(line, outcome, external_id, reason, entry_obj.pk)

    def body():
        run_rows(report, rows, handle, progress=progress)
        if full_sync:
            _discharge_missing(report, seen, actor=actor, rows=len(rows), max_share=max_discharge_share)

    return run_import(report, body)


def _discharge_missing(report: ImportReport, seen: dict[str, int], *, actor: Actor, rows: int,
                       max_share: float | None) -> None:
    if rows == 0:
        report.errors.append("Full sync refused: the file has no rows (it would discharge everyone).")
        return
    if report.unreadable:
        report.errors.append(
            f"Full sync refused: line(s) {_line_list(report.unreadable)} could not be read as rows (an unclosed "
            "quote?), so the entries on them would look missing. Nothing was discharged; fix the file."
        )
        return
    # a row skipped as malformed still names an entry the export lists
    seen = {**seen, **{r.external_id: r.line for r in report.rows if r.outcome == "skipped" and r.external_id}}
    synced = list(
        WaitlistEntry.objects.filter(active=True).filter(~Q(external_id=None) & ~Q(external_id=""))
        .values_list("pk", "external_id")
    )
    missing = [(pk, ext) for pk, ext in synced if ext not in seen]
    # at every size: 5 of 6 missing is as truncated as 500 of 600 (one missing entry is always allowed)
    if max_share is not None and len(missing) > 1 and len(missing) > max_share * len(synced):
        report.errors.append(
            f"Full sync refused: {len(missing)} of {len(synced)} imported entries are missing from this file, "
            "which looks like a truncated export. Nothing was discharged."
        )
        return
    for pk, ext in missing:
        if services.entry_deactivate(entry_id=pk, reason=WaitlistEntry.InactiveReason.DISCHARGED, actor=actor,
                                     note="missing from the EHR export"):
            report.deactivated.append(RowResult(0, "deactivated", ext, "missing from the export (discharged)", pk))

