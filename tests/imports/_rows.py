"""The nightly export as the full-sync tests write it: one row per entry, numbered."""

from .conftest import csv_bytes

HEADER = "external_id,patient_external_id,first_name,last_name,phone,consent_source"


def rows(*ids: int) -> bytes:
    return csv_bytes(HEADER, *(f"WL-{i},MRN-{i},Pat,Number{i},312-555-01{i:02d},written" for i in ids))
