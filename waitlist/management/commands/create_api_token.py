"""Print an API token for a user, creating the user (in the Integration group) if needed."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.actors import Actor
from core.services import api_key_issue, api_key_revoke, audit_record

from .setup_roles import INTEGRATION, ROLES, setup_roles


class Command(BaseCommand):
    help = (
        "Print a new API key for USERNAME (Authorization: Token <key>). Creates the user, with no password "
        "and in the Integration group, when it does not exist. Keys are stored hashed and shown only "
        "once: a user who has a key gets a new one only with --rotate (the old one stops working); "
        "--revoke deletes it."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="Replace the user's key (the old one stops working)")
        parser.add_argument("--revoke", action="store_true", help="Delete the user's key and print nothing")
        parser.add_argument("--role", default=INTEGRATION, choices=sorted(ROLES),
                            help="Group for a newly created user (default: Integration)")

    @transaction.atomic
    def handle(self, *args, username, rotate, revoke, role, **options):
        User = get_user_model()
        actor = Actor.system("create_api_token")
        user = User.objects.filter(username=username).first()
        if user is None:
            if revoke:
                raise CommandError(f"No user {username!r}.")
            if not Group.objects.filter(name=role).exists():
                setup_roles()
            user = User(username=username, is_active=True)
            user.set_unusable_password()
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as exc:  # e.g. a space in the name: say so, not a traceback
                raise CommandError("; ".join(exc.messages)) from None
            user.save()
            user.groups.add(Group.objects.get(name=role))
            audit_record(actor=actor, action="user.create", obj=user, after={"username": username, "group": role})
            self.stderr.write(f"Created user {username!r} in the {role} group.")
        elif not user.is_active:
            raise CommandError(f"User {username!r} is inactive: activate it first.")
        if revoke:
            if not api_key_revoke(user=user, actor=actor):
                raise CommandError(f"{username!r} has no API key.")
            self.stderr.write(f"Revoked the API key of {username!r}.")
            return
        key = api_key_issue(user=user, actor=actor, rotate=rotate)
        if key is None:
            raise CommandError(
                f"{username!r} already has an API key. It is stored hashed and cannot be shown again: "
                "use --rotate to issue a new one (the old one stops working)."
            )
        self.stdout.write(key)
