"""Print (or apply) the PostgreSQL grants for clinicbot's least-privilege app role.

Two roles (docs/SECURITY.md): the migration role owns the schema and runs `migrate`; the app role
(web, worker, timer) gets data access only, no DDL, and cannot change or delete audit rows. Run as
the migration role after every `migrate`; the default privileges cover tables created later."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

APPEND_ONLY_TABLES = ("core_auditevent",)
READ_ONLY_TABLES = ("django_migrations",)


def grant_statements(app_role: str, database: str, schema: str = "public") -> list[str]:
    role = connection.ops.quote_name(app_role)
    db = connection.ops.quote_name(database)
    sch = connection.ops.quote_name(schema)
    statements = [
        # PostgreSQL 15+ already denies CREATE on public to everyone but its owner; older ones did not.
        f"REVOKE CREATE ON SCHEMA {sch} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {db} TO {role}",
        f"GRANT USAGE ON SCHEMA {sch} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {role}",
        # tables created by later migrations (run as this same migration role)
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {sch} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {sch} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    for table in APPEND_ONLY_TABLES:
        statements += [
            f"REVOKE UPDATE, DELETE, TRUNCATE ON {sch}.{table} FROM {role}",
            # deleting a staff user clears their id on their audit rows (the trigger allows only that)
            f"GRANT UPDATE (actor_user_id) ON {sch}.{table} TO {role}",
        ]
    statements += [f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {sch}.{t} FROM {role}" for t in READ_ONLY_TABLES]
    return statements


class Command(BaseCommand):
    help = "Print (or --apply) the grants that give the app role data access only (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("app_role", help="The role web, worker and timer connect as, e.g. clinicbot_app")
        parser.add_argument("--schema", default="public")
        parser.add_argument("--apply", action="store_true", help="Run the statements instead of printing them")

    def handle(self, app_role, schema, apply, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Roles and grants apply to PostgreSQL; the embedded SQLite has no roles.")
        statements = grant_statements(app_role, connection.settings_dict["NAME"], schema)
        if not apply:
            self.stdout.write(";\n".join(statements) + ";")
            return
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
        self.stdout.write(f"Granted data-only access to {app_role}.")
