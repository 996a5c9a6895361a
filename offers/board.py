"""The staff console's admin site: the live board as the admin index (work in progress)."""

from django.contrib import admin


class StaffAdminSite(admin.AdminSite):
    site_header = "clinicbot staff console"
    site_title = "clinicbot"
    index_title = "Live board"
