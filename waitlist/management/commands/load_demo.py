"""Idempotent demo data: 2 locations, 4 providers, ~30 consented patients with varied needs, one
shared family number; fake 555-01xx numbers. Creates local staff users and prints their
credentials (DEBUG only). Running it twice changes nothing."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from clinicbot.clock import now
from core.actors import Actor
from messaging.models import PhoneNumber
from waitlist import services
from waitlist.models import AppointmentType, Location, Patient, Provider, WaitlistEntry

ACTOR = Actor.system("demo-data")
FIRST = ["Ana", "Ben", "Carla", "Dev", "Elena", "Frank", "Grace", "Hugo", "Iris", "Jon", "Kara", "Luis", "Mia",
         "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe",
         "Alma", "Bruno"]
LAST = ["Garcia", "Smith", "Nguyen", "Patel", "Johnson", "Lopez", "Kim", "Brown", "Martinez", "Davis"]


class Command(BaseCommand):
    help = "Load idempotent demo data and create local demo users (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("load_demo only runs with DEBUG=true: it creates users with printed passwords.")
        call_command("setup_roles", verbosity=0)
        types = {
            code: AppointmentType.objects.get_or_create(code=code, defaults={"name": name, "default_minutes": minutes})[0]
            for code, name, minutes in [("follow-up", "Follow-up", 20), ("new-patient", "New patient", 40),
                                        ("procedure", "Procedure", 60)]
        }
        north, _ = Location.objects.get_or_create(
            external_id="demo-loc-north",
            defaults=dict(name="Northside Clinic", sms_name="Northside", time_zone="America/Chicago",
                          address="1200 N Clark St, Chicago"),
        )
        lake, _ = Location.objects.get_or_create(
            external_id="demo-loc-lake",
            defaults=dict(name="Lakeview Clinic", sms_name="Lakeview", time_zone="America/Chicago",
                          address="3400 N Broadway, Chicago"),
        )
        providers = []
        for ext, name, short, kind, locs, tps in [
            ("demo-prov-1", "Dr. Maria Alvarez", "Dr Alvarez", "MD", [north], ["follow-up", "new-patient", "procedure"]),
            ("demo-prov-2", "Dr. James Okafor", "Dr Okafor", "DO", [north, lake], ["follow-up", "new-patient"]),
            ("demo-prov-3", "Priya Shah, NP", "NP Shah", "NP", [lake], ["follow-up"]),
            ("demo-prov-4", "Tom Becker, PA", "PA Becker", "PA", [lake, north], ["follow-up", "procedure"]),
        ]:
            prov, created = Provider.objects.get_or_create(external_id=ext, defaults=dict(name=name, sms_name=short, kind=kind))
            if created:
                prov.locations.set(locs)
                prov.appointment_types.set([types[t] for t in tps])
            providers.append(prov)

        rng = random.Random(7)
        created_entries = 0
        today = now()
        for i in range(28):
            ext = f"demo-pat-{i:02d}"
            if Patient.objects.filter(external_id=ext).exists():
                continue
            # patients 0-2 share one family number (a parent and two children)
            number = "+13125550100" if i < 3 else f"+1312555{i + 100:04d}"
            patient, _ = services.patient_upsert(
                actor=ACTOR, first_name=FIRST[i], last_name=LAST[i % len(LAST)], phone=number,
                relationship="self" if i in (0,) or i >= 3 else "guardian",
                language="es" if i % 7 == 3 else "en", consent_source="written", consent_at=today,
                external_id=ext,
            )
            PhoneNumber.objects.filter(pk=patient.phone_id, welcomed_at__isnull=True).update(welcomed_at=today)
            kind = ["follow-up", "follow-up", "new-patient", "procedure"][i % 4]
            current = None if i % 5 == 0 else today + dt.timedelta(days=rng.choice([20, 45, 100, 200]))
            services.entry_save(
                actor=ACTOR, patient=patient, appointment_type=types[kind],
                visit_minutes=None if i % 3 else types[kind].default_minutes,
                urgent=i % 9 == 0, manual_boost=10 if i % 11 == 0 else 0,
                boost_reason="clinical priority (demo)" if i % 11 == 0 else "",
                current_appointment_at=current,
                current_appointment_provider=providers[i % 4] if current else None,
                current_appointment_location=(north if i % 2 else lake) if current else None,
                joined_at=today - dt.timedelta(days=rng.randint(1, 300)),
                weekdays_mask=0 if i % 4 else 0b0011111, min_notice_hours=0 if i % 6 else 4,
                external_id=f"demo-entry-{i:02d}",
                providers=[providers[0]] if i % 8 == 1 else [],
                locations=[lake] if i % 10 == 2 else [],
            )
            created_entries += 1
        users = self._users()
        self.stdout.write(f"Demo data ready: {Patient.objects.count()} patients, "
                          f"{WaitlistEntry.objects.filter(active=True).count()} active waitlist entries "
                          f"({created_entries} new).")
        self.stdout.write("Demo logins (development only):")
        for username, password, role in users:
            self.stdout.write(f"  {username:10s} {password}  ({role})")

    def _users(self):
        store = Path(settings.BASE_DIR) / "var" / "demo-credentials.txt"
        saved = {}
        if store.exists():
            for line in store.read_text().splitlines():
                user, _, pw = line.partition(" ")
                saved[user] = pw
        out = []
        User = get_user_model()
        for username, role, superuser in [("admin", "superuser", True), ("frontdesk", "Front desk", False),
                                          ("manager", "Manager", False)]:
            password = saved.get(username) or f"demo-{secrets.token_urlsafe(9)}"
            user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True})
            if created or not user.check_password(password):
                user.set_password(password)
            user.is_staff, user.is_superuser = True, superuser
            user.save()
            if not superuser:
                user.groups.set([Group.objects.get(name=role)])
            out.append((username, password, role))
        store.write_text("".join(f"{u} {p}\n" for u, p, _ in out))
        store.chmod(0o600)
        return out
