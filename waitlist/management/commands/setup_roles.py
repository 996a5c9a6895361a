"""Create (or bring up to date) the staff roles. Idempotent: run it on every deploy."""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

FRONT_DESK = "Front desk"
MANAGER = "Manager"
INTEGRATION = "Integration"


def _perms(app: str, model: str, actions: str) -> list[str]:
    return [f"{app}.{action}_{model}" for action in actions.split()]


ROLES: dict[str, list[str]] = {
    FRONT_DESK: [
        *_perms("waitlist", "location", "view"),
        *_perms("waitlist", "closuredate", "view"),
        *_perms("waitlist", "provider", "view"),
        *_perms("waitlist", "appointmenttype", "view"),
        *_perms("waitlist", "patient", "view add change"),
        *_perms("waitlist", "waitlistentry", "view add change"),
        *_perms("messaging", "phonenumber", "view change"),
        *_perms("messaging", "consentevent", "view"),
        *_perms("messaging", "message", "view"),
        *_perms("offers", "cancellation", "view add change"),
        *_perms("offers", "offer", "view change"),
        "offers.view_board",
    ],
    INTEGRATION: [
        *_perms("waitlist", "location", "view add change"),
        *_perms("waitlist", "provider", "view add change"),
        *_perms("waitlist", "appointmenttype", "view add change"),
        *_perms("waitlist", "patient", "view add change"),
        *_perms("waitlist", "waitlistentry", "view add change"),
        *_perms("offers", "cancellation", "view add change"),
        *_perms("offers", "offer", "view"),
        *_perms("messaging", "message", "view"),
        "offers.view_metrics",
    ],
}
ROLES[MANAGER] = sorted(
    {
        *ROLES[FRONT_DESK],
        *_perms("waitlist", "location", "add change"),
        *_perms("waitlist", "closuredate", "add change delete"),
        *_perms("waitlist", "provider", "add change"),
        *_perms("waitlist", "appointmenttype", "add change"),
        *_perms("core", "auditevent", "view"),
        *_perms("messaging", "senderhealth", "view change"),
        "offers.view_metrics",
        "messaging.export_messages",
    }
)


def setup_roles() -> dict[str, int]:
    counts = {}
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = []
        for code in codes:
            app_label, codename = code.split(".")
            perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(perms)
        counts[name] = len(perms)
    return counts


class Command(BaseCommand):
    help = "Create or update the groups Front desk, Manager and Integration with their permissions."

    def handle(self, *args, **options):
        for name, count in setup_roles().items():
            self.stdout.write(f"{name}: {count} permissions")
