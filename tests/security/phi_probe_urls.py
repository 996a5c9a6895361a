"""A throwaway admin site for test_staff_views_of_phi_are_logged: an export written as a plain admin
action, to show the mixin records it whatever the action's code does."""

import csv
import io

from django.contrib import admin
from django.http import HttpResponse
from django.urls import path

from core.admin_mixins import PhiAccessLoggedMixin
from waitlist.models import Patient

site = admin.AdminSite(name="probe")


@admin.action(description="Export selected as CSV")
def export_csv(modeladmin, request, queryset):
    out = io.StringIO()
    writer = csv.writer(out)
    for p in queryset:
        writer.writerow([p.pk, p.first_name, p.last_name])
    return HttpResponse(out.getvalue(), content_type="text/csv")


class ProbePatientAdmin(PhiAccessLoggedMixin, admin.ModelAdmin):
    actions = [export_csv]


site.register(Patient, ProbePatientAdmin)
urlpatterns = [path("probe/", site.urls)]
