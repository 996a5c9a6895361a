"""The CSV upload page: the EHR's waitlist export or a file of freed slots, through the same import
services the API and the `import_csv` command use. A dry run (the default) shows what would change
and saves nothing."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from core.actors import Actor
from waitlist.imports import import_waitlist_csv

from .imports import import_cancellations_csv

MAX_UPLOAD = 20 * 1024 * 1024
SHOWN_LINES = 500
KINDS = {
    "waitlist": ("Waitlist export (patients, consent, entries)",
                 ("waitlist.add_patient", "waitlist.change_patient", "waitlist.add_waitlistentry",
                  "waitlist.change_waitlistentry")),
    "cancellations": ("Freed slots (cancellations)", ("offers.add_cancellation", "offers.change_cancellation")),
}


def allowed_kinds(user) -> list[str]:
    return [kind for kind, (_, perms) in KINDS.items() if user.has_perms(perms)]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label="File", widget=forms.RadioSelect)
    file = forms.FileField(help_text="CSV, UTF-8; columns as in docs/API.md")
    dry_run = forms.BooleanField(label="Dry run: show what would change, save nothing", required=False, initial=True)
    full_sync = forms.BooleanField(
        label="Full sync: deactivate imported entries missing from this export", required=False,
        help_text="Waitlist only. Refused if it would remove more than half of them (a truncated export).",
    )

    def __init__(self, *args, kinds: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, KINDS[k][0]) for k in kinds]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(f"The file is larger than {MAX_UPLOAD // (1024 * 1024)} MB.")
        return upload

    def clean(self):
        data = super().clean()
        if data.get("full_sync") and data.get("kind") != "waitlist":
            self.add_error("full_sync", "Full sync applies to the waitlist export only.")
        return data


def import_csv(request):
    kinds = allowed_kinds(request.user)
    if not kinds:
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, kinds=kinds)
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actor = Actor.staff(request.user)
        if data["kind"] == "waitlist":
            report = import_waitlist_csv(file=data["file"], actor=actor, dry_run=data["dry_run"],
                                         full_sync=data["full_sync"])
        else:
            report = import_cancellations_csv(file=data["file"], actor=actor, dry_run=data["dry_run"])
    from django.contrib import admin

    lines = report.lines() if report is not None else []
    return TemplateResponse(request, "admin/offers/import.html", {
        **admin.site.each_context(request),
        "title": "Import a CSV file",
        "form": form,
        "report": report,
        "lines": lines[:SHOWN_LINES],
        "more_lines": max(0, len(lines) - SHOWN_LINES),
    })
