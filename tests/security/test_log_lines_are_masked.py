"""The console handler masks phone numbers in messages, structured extras and tracebacks, and keeps
IP addresses and dates readable."""

import io
import json
import logging

from clinicbot.logging import MaskingJsonFormatter, MaskPhoneFilter

NUMBER = "+13125559876"


def _emit(record_fn) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskPhoneFilter())
    handler.setFormatter(MaskingJsonFormatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("clinicbot.masktest")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        record_fn(logger)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_numbers_are_masked_in_message_extras_and_traceback():
    def log(logger):
        try:
            raise ValueError(f"duplicate key (e164)=({NUMBER})")
        except ValueError:
            logger.exception("saving %s failed from 10.1.2.3 on 2026-11-25 10:00", NUMBER, extra={"to": NUMBER})

    out = _emit(log)
    line = json.loads(out)
    assert NUMBER not in out and "3125559876" not in out
    assert "***9876" in line["message"] and line["to"] == "***9876"
    assert "***9876" in line["exc_info"] and "ValueError" in line["exc_info"]
    assert "10.1.2.3" in line["message"] and "2026-11-25 10:00" in line["message"]


def test_a_logged_request_shows_its_path_without_the_query_string():
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/waitlist/patient/", {"q": "Quixotefield"})
    out = _emit(lambda logger: logger.warning("Not Found: %s", request.path,
                                              extra={"status_code": 404, "request": request}))
    line = json.loads(out)
    assert line["request"] == "GET /admin/waitlist/patient/"
    assert "Quixotefield" not in out
