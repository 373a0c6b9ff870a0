"""A database an operator must fix (down, refusing us, not migrated), told in one line.

Only these known kinds are explained; any other error keeps its traceback, since it is
more likely a bug than something the operator can fix. Messages name the host, port and
database, never the URL itself, which may hold a password.
"""

import socket

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

# PostgreSQL error codes (SQLSTATE): undefined table or column; login refused; no such
# database.
_UNDEFINED = ("42P01", "42703")
_LOGIN_REFUSED = ("28000", "28P01", "3D000")


def is_missing_schema(exc: BaseException) -> bool:
    """True when ``exc`` is the database saying a table or column does not exist (a schema
    older than the code, say)."""
    if not isinstance(exc, DBAPIError):
        return False
    said = str(exc.orig)
    return (
        getattr(exc.orig, "sqlstate", None) in _UNDEFINED
        or said.startswith(("no such table", "no such column"))
        or " has no column named " in said  # SQLite, writing a row
    )


def explain_database_failure(exc: BaseException, database_url: str) -> str | None:
    """One line saying why the database at ``database_url`` cannot be used, or None.

    None means ``exc`` is not a failure to reach, open or log in to the database.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if isinstance(exc, DBAPIError) and "unable to open database file" in str(exc.orig):
            return (
                f"cannot open the SQLite database {url.database}: its folder must exist "
                "and this user must be able to write to it"
            )
        return None
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _LOGIN_REFUSED:
        return f"the database server at {where} refused the connection: {exc.orig}"
    if isinstance(exc, OSError) and _raised_by_driver(exc):
        return f"cannot reach the database at {where} ({_reason(exc)})"
    return None


def _reason(exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return exc.strerror or str(exc)


def _raised_by_driver(exc: BaseException) -> bool:
    """True when ``exc`` came up through asyncpg (connecting), not through other code."""
    frame = exc.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).startswith("asyncpg"):
            return True
        frame = frame.tb_next
    return False
