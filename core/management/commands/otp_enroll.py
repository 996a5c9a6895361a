"""Register a TOTP authenticator for a staff user (managers need one when OTP_REQUIRED_FOR_MANAGERS
is on). Prints the otpauth:// URL once, to scan into an authenticator app; the secret is not shown
anywhere else and never logged."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.actors import Actor
from core.services import audit_record


class Command(BaseCommand):
    help = "Create a TOTP device for a staff user and print the otpauth:// URL to scan."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="authenticator", help="Device label shown to the user")
        parser.add_argument("--replace", action="store_true", help="Delete the user's existing TOTP devices first")

    def handle(self, username, name, replace, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if replace:
            TOTPDevice.objects.filter(user=user).delete()
        elif TOTPDevice.objects.filter(user=user).exists():
            raise CommandError(f"{username} already has a TOTP device; pass --replace to issue a new one.")
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        audit_record(actor=Actor.system("otp_enroll"), action="auth.otp_enrolled", obj=user,
                     after={"device": device.persistent_id, "replaced": replace})
        self.stdout.write("Scan this URL into the authenticator app (shown once):")
        self.stdout.write(device.config_url)
