"""The PHI access log in the staff console: who opened which patient's page or message thread, and
who exported what, as `kind=access` rows of the audit trail (core.services.audit_access).

Apply `PhiAccessLoggedMixin` to every ModelAdmin whose change page shows PHI (patients, entries,
numbers with their thread, messages); custom views call `phi_access_record` / `phi_export_record`."""

from __future__ import annotations

from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote

from .actors import Actor
from .services import audit_access


def phi_access_record(request, *, what: str, obj=None, object_type: str = "", object_id: str | int = "",
                      note: str = ""):
    return audit_access(actor=Actor.staff(request.user), what=what, obj=obj, object_type=object_type,
                        object_id=object_id, note=note)


def phi_export_record(request, *, what: str, count: int | None, object_type: str, note: str = ""):
    rows = "all matching" if count is None else str(count)
    return audit_access(actor=Actor.staff(request.user), what=f"{what}.export", object_type=object_type,
                        object_id="*", note=(f"{rows} rows; " + note).strip("; "))


def _is_file_download(response) -> bool:
    content_type = response.get("Content-Type", "") if hasattr(response, "get") else ""
    disposition = response.get("Content-Disposition", "") if hasattr(response, "get") else ""
    return content_type.startswith(("text/csv", "application/vnd", "application/octet-stream")) or (
        "attachment" in disposition
    )


class PhiAccessLoggedMixin:
    """Logs each change (or view-only) page drawn, whatever the request's method, and each file an
    admin action on the list returns (a CSV export), whatever the action's implementation."""

    phi_access_what: str | None = None  # e.g. "patient", "message_thread"; default: the model name

    def _phi_what(self) -> str:
        return self.phi_access_what or self.model._meta.model_name

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # Every page drawn is a view, whatever the method: Django's change view draws it for any
        # method but a successful POST (which redirects), so OPTIONS, PUT or a POST that fails
        # validation show the same record as a GET and used to leave no access record.
        if getattr(response, "status_code", None) == 200:
            phi_access_record(request, what=self._phi_what(), object_type=self.model._meta.label_lower,
                              object_id=unquote(object_id)[:40])
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "POST" and getattr(response, "status_code", None) == 200 and _is_file_download(response):
            across = request.POST.get("select_across") == "1"
            selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
            phi_export_record(
                request, what=self._phi_what(), count=None if across else len(selected),
                object_type=self.model._meta.label_lower, note=f"action {request.POST.get('action', '')}"[:100],
            )
        return response
