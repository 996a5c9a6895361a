import pytest

from tests import factories as f


@pytest.fixture
def clinic(db, clock):
    loc = f.location()
    loc.external_id = "LOC-N"
    loc.save()
    atype = f.appointment_type()
    prov = f.provider(loc, types=[atype], name="Dr. Ada Stone")
    prov.external_id = "PRV-1"
    prov.save()
    return loc, prov, atype


def csv_bytes(*lines: str, bom: bool = True, newline: str = "\r\n") -> bytes:
    text = newline.join(lines) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
