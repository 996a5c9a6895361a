"""Django's SQLite backend with one change: a statement's rewrite from Django's `%s` placeholders
to SQLite's `?` is remembered instead of redone with a regular expression over the whole text on
every execution. The engine runs the same statements again and again (most of them prepared once,
core/prepared.py), and the rewrite cost 3 % of the fill simulator's CPU (docs/PERFORMANCE.md,
section 11). `ENGINE = "core.sqlite"` (clinicbot/settings/base.py sets it for a `sqlite://` URL);
everything else, `vendor` included, is Django's.
"""

from __future__ import annotations

import functools

from django.db.backends.sqlite3 import base


@functools.lru_cache(maxsize=512)
def _qmark(query: str) -> str:
    # what Django's SQLiteCursorWrapper.convert_query does for positional parameters
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class SQLiteCursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query, *, param_names=None):
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(factory=SQLiteCursorWrapper)
