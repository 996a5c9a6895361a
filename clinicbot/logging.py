"""Log hygiene: phone numbers are masked to their last 4 digits in the message and structured extras
(the console handler's filter) and in tracebacks (its formatters); a logged request shows method and
path only; error reports never carry request data or locals.

Masking is the safety net. The rule is upstream: code logs ids and masked numbers, never names or
message text (tests/security/test_logs_of_an_offer_flow_hold_no_phi.py checks a whole flow)."""

from __future__ import annotations

import logging
import re

from django.http import HttpRequest
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter
from pythonjsonlogger.json import JsonFormatter

# E.164 or loosely formatted NANP numbers: 7+ digits with optional separators.
_PHONE = re.compile(r"(?<![\w])\+?\d[\d\-\s().]{6,}\d(?![\w])")

# LogRecord attributes that are not caller-supplied extras
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def mask_phone(value: str | None) -> str:
    digits = re.sub(r"\D", "", value or "")
    return f"***{digits[-4:]}" if digits else "***"


# look like numbers but are not phones: an IPv4 address, a date (with a time)
_NOT_A_PHONE = re.compile(r"\d{1,3}(\.\d{1,3}){3}|\d{4}-\d{2}-\d{2}([ T][\d:]*)?")


def _mask_match(m: re.Match) -> str:
    text = m.group(0)
    digits = sum(c.isdigit() for c in text)
    if digits < 7 or digits > 15 or _NOT_A_PHONE.fullmatch(text.strip()):
        return text
    return mask_phone(text)


def _mask_text(text: str) -> str:
    return _PHONE.sub(_mask_match, text)


def mask_phones_in(text: str) -> str:
    """Free text (a provider's error message, say) with every phone number in it masked to its last
    4 digits, as the log formatter does."""
    return _mask_text(text)


class DropTaskEnqueuedLines(logging.Filter):
    """django-q2 logs "Enqueued [queue] id" at INFO for every task it enqueues: one line per inbound
    webhook in the web processes (hundreds a second under load), naming only the broker's id. The
    line costs formatting, masking and a write on the request path and tells operators nothing; the
    cluster's own lines (start, stop, "Processed ...") stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO and str(record.msg).startswith("Enqueued ["))


class MaskPhoneFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format must not drop the record
            return True
        masked = _mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_text:
            record.exc_text = _mask_text(record.exc_text)
        for key, value in list(vars(record).items()):
            if key in _STANDARD:
                continue
            if isinstance(value, str):
                setattr(record, key, _mask_text(value))
        return True


class MaskingFormatter(logging.Formatter):
    """Tracebacks are masked too: exception messages quote values (an IntegrityError's DETAIL, a
    ValidationError's input). Done in the formatter, so other handlers still get the real exc_info."""

    def formatException(self, ei):
        return _mask_text(super().formatException(ei))

    def formatStack(self, stack_info):
        return _mask_text(super().formatStack(stack_info))


class MaskingJsonFormatter(JsonFormatter):
    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        for key, value in list(log_data.items()):
            if isinstance(value, HttpRequest):
                # django.request passes the request, whose repr has the query string (an admin search
                # by name): method and path only. Here, not in the filter, so the mail handler keeps it.
                log_data[key] = f"{value.method} {value.path}"

    def formatException(self, ei):
        return _mask_text(super().formatException(ei))

    def formatStack(self, stack_info):
        return _mask_text(super().formatStack(stack_info))


class PhiSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports (ADMIN_ERROR_EMAILS, or any reporter) outside DEBUG: no POST data (a webhook's
    From and Body, a patient form), no local variables (patients, messages), and settings that hold
    credentials inside URLs (REDIS_URL, cache locations) hidden along with the usual keys and tokens."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|REDIS|LOCATION|Q_CLUSTER|CACHES|DATABASES",
        flags=re.IGNORECASE,
    )

    def get_post_parameters(self, request):
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        cleansed = request.POST.copy()
        for key in cleansed:
            cleansed[key] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]

    def get_safe_request_meta(self, request):
        if not hasattr(request, "META") or not self.is_active(request):
            return super().get_safe_request_meta(request)
        # the query string can hold a searched name or number
        return {k: (self.cleansed_substitute if k in ("QUERY_STRING", "HTTP_REFERER") else v)
                for k, v in super().get_safe_request_meta(request).items()}


class PhiSafeExceptionReporter(ExceptionReporter):
    """Outside DEBUG, the report's query string and GET values (a searched name or number) are
    blanked and numbers in the exception text masked; the filter above does POST, locals, settings."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.request is not None and self.filter.is_active(self.request):
            substitute = self.filter.cleansed_substitute
            data["request_GET_items"] = [(k, substitute) for k, _ in data.get("request_GET_items", [])]
            for key in ("request_insecure_uri",):
                if isinstance(data.get(key), str):
                    data[key] = data[key].split("?", 1)[0]
            data["request_COOKIES_items"] = [(k, substitute) for k, _ in data.get("request_COOKIES_items", [])]
        if isinstance(data.get("exception_value"), str):
            data["exception_value"] = _mask_text(data["exception_value"])
        return data
