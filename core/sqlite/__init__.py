"""clinicbot's SQLite backend (base.py): Django's, remembering each statement's placeholder rewrite."""

ENGINE = "core.sqlite"


def engine(name: str) -> str:
    """The backend to run a configured engine with: Django's SQLite backend becomes this one."""
    return ENGINE if name == "django.db.backends.sqlite3" else name
