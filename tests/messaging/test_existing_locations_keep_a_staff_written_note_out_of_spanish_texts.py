"""Locations that existed before the Spanish arrival note was added: one still on the default
English note gets the default Spanish sentence (its translation); one whose staff wrote their own
note ("Check in at the oncology desk") gets none, so a generic sentence never silently replaces
their instruction in Spanish texts."""

import importlib

import pytest
from django.apps import apps as global_apps

from tests import factories as f
from waitlist.models import Location

pytestmark = pytest.mark.django_db

migration = importlib.import_module("waitlist.migrations.0003_location_arrival_note_es")

ENGLISH_DEFAULT = Location._meta.get_field("arrival_note").default
SPANISH_DEFAULT = Location._meta.get_field("arrival_note_es").default


def test_only_locations_on_the_default_english_note_get_the_default_spanish_one():
    # as the added column leaves every existing row: the Spanish default
    default = f.location(name="Default")
    written = f.location(name="Oncology", arrival_note="Check in at the oncology desk.")
    blanked = f.location(name="NoNote", arrival_note="")
    assert migration.ENGLISH_DEFAULT == ENGLISH_DEFAULT
    migration.blank_where_staff_wrote_the_english_note(global_apps, None)
    notes = dict(Location.objects.values_list("pk", "arrival_note_es"))
    assert notes == {default.pk: SPANISH_DEFAULT, written.pk: "", blanked.pk: ""}
    assert Location.objects.get(pk=written.pk).arrival_note == "Check in at the oncology desk."
