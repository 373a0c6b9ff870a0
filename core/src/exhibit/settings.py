"""Process-wide settings, read once from the environment."""

import ipaddress
import os
from pathlib import Path

import msgspec
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATA_DIR = Path("exhibit-data")
DATABASE_DRIVERS = ("postgresql+asyncpg", "sqlite+aiosqlite")


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Where Exhibit keeps its data and how it reaches its database.

    ``data_dir`` holds the SQLite file, the local evidence store and the trial secret key.
    ``database_url`` is an SQLAlchemy async URL; SQLite under ``data_dir`` when not given.
    ``secret_key`` encrypts plugin secrets at rest (a Fernet key); see ``exhibit.secrets``.
    ``run_worker_in_app`` runs the job worker inside the web process (the SQLite trial set-up).
    ``trusted_proxies`` are the addresses or networks of reverse proxies whose
    ``X-Forwarded-For`` names the real client (for per-client limits); none by default, so a
    client cannot choose its own address.
    ``metrics_token`` is the bearer token that ``GET /metrics`` asks for; without one the
    endpoint does not exist.
    """

    data_dir: Path
    database_url: str
    secret_key: str | None = None
    run_worker_in_app: bool = True
    public_url: str = "http://127.0.0.1:8000"
    trusted_proxies: tuple[str, ...] = ()
    metrics_token: str | None = None

    @property
    def is_sqlite(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def storage_dir(self) -> Path:
        """Root folder of the built-in local-disk evidence store."""
        return self.data_dir / "storage"


def sqlite_url(data_dir: Path) -> str:
    """The SQLAlchemy URL of the embedded database inside ``data_dir``."""
    return f"sqlite+aiosqlite:///{(data_dir / 'exhibit.sqlite3').resolve()}"


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from ``EXHIBIT_*`` environment variables (or the mapping given)."""
    env = dict(os.environ if environ is None else environ)
    data_dir = Path(env.get("EXHIBIT_DATA_DIR", str(DEFAULT_DATA_DIR))).resolve()
    database_url = check_database_url(env.get("EXHIBIT_DATABASE_URL") or sqlite_url(data_dir))
    is_sqlite = database_url.startswith("sqlite")
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=env.get("EXHIBIT_SECRET_KEY") or None,
        run_worker_in_app=_flag(env.get("EXHIBIT_WORKER_IN_APP"), default=is_sqlite),
        public_url=env.get("EXHIBIT_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        trusted_proxies=parse_trusted_proxies(env.get("EXHIBIT_TRUSTED_PROXIES", "")),
        metrics_token=check_metrics_token(env.get("EXHIBIT_METRICS_TOKEN", "")),
    )


def check_database_url(url: str) -> str:
    """``url`` when it names a database Exhibit can use through one of ``DATABASE_DRIVERS``.

    Raises ``ValueError`` naming the driver, or only the variable: the URL may hold a password.
    """
    use = "use postgresql+asyncpg://user@host/database or sqlite+aiosqlite:///path"
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in DATABASE_DRIVERS:
        shown = f"driver {scheme!r}" if scheme.replace("+", "").isalnum() else "URL"
        raise ValueError(f"EXHIBIT_DATABASE_URL: unsupported {shown}; {use}")
    try:
        make_url(url)
    except (ArgumentError, ValueError):
        raise ValueError(f"EXHIBIT_DATABASE_URL is not a valid database URL; {use}") from None
    return url


def parse_trusted_proxies(value: str) -> tuple[str, ...]:
    """Comma-separated proxy addresses or networks (``10.0.0.5, 10.1.0.0/16``), checked.

    Raises ``ValueError`` naming an entry that is neither, rather than trusting it as text.
    """
    entries = tuple(entry.strip() for entry in value.split(",") if entry.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(
                f"EXHIBIT_TRUSTED_PROXIES: {entry!r} is not an IP address or network"
            ) from None
    return entries


MIN_METRICS_TOKEN_LENGTH = 32


def check_metrics_token(value: str) -> str | None:
    """The metrics token, or None when unset; raises ``ValueError`` (never showing the value)
    for one too short to resist guessing, or with characters a header cannot carry."""
    token = value.strip()
    if not token:
        return None
    if len(token) < MIN_METRICS_TOKEN_LENGTH or not token.isascii() or not token.isprintable():
        raise ValueError(
            f"EXHIBIT_METRICS_TOKEN: use at least {MIN_METRICS_TOKEN_LENGTH} printable ASCII "
            "characters, e.g. the output of `openssl rand -hex 32`"
        )
    return token


def _flag(value: str | None, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}
