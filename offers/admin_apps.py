"""django.contrib.admin with clinicbot's staff console site (the live board is its index page).

Kept apart from offers/board.py: INSTALLED_APPS imports this module before models are loaded; the
site class is imported later, when the admin first needs it."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "offers.board.StaffAdminSite"
