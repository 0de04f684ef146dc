"""Where payapp keeps things, and which database it uses.

Order for the database URL: the PAYAPP_DATABASE_URL environment variable, then the user's config
file, then the site-wide config file, then a local SQLite file in the user's data folder.
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import platformdirs

APP_NAME = "payapp"
DATABASE_URL_VARIABLE = "PAYAPP_DATABASE_URL"


class ConfigError(RuntimeError):
    pass


@dataclass(frozen=True)
class Locations:
    config_file: Path
    site_config_file: Path
    data_dir: Path

    @property
    def database_file(self) -> Path:
        return self.data_dir / "payapp.sqlite"

    @property
    def demo_database_file(self) -> Path:
        return self.data_dir / "demo.sqlite"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def rendered_invoices_dir(self) -> Path:
        """Invoice PDFs kept once drawn (data.documents.rendered_invoices); safe to delete."""
        return self.data_dir / "rendered-invoices"

    @property
    def log_file(self) -> Path:
        """Where the app writes the details of what went wrong (tracebacks stay out of sight)."""
        return self.data_dir / "payapp.log"


def locations() -> Locations:
    return Locations(
        config_file=Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml",
        site_config_file=Path(platformdirs.site_config_dir(APP_NAME)) / "config.toml",
        data_dir=Path(platformdirs.user_data_dir(APP_NAME)),
    )


def redacted(url: str) -> str:
    """The URL with its password, if any, replaced by ***: safe to print."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class DatabaseChoice:
    url: str
    source: str  # where the URL came from, in words

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


def read_config(path: Path) -> dict[str, object]:
    """A config file's contents; refuses a file that other users could have written."""
    if not path.exists():
        return {}
    mode = path.stat().st_mode
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(f"{path} is writable by other users; run: chmod go-w {path}")
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from error


def _configured_url(path: Path) -> str | None:
    section = read_config(path).get("database")
    if isinstance(section, dict):
        url = section.get("url")
        if isinstance(url, str) and url.strip():
            return url.strip()
    return None


def choose_database(where: Locations | None = None) -> DatabaseChoice:
    where = where or locations()
    from_env = os.environ.get(DATABASE_URL_VARIABLE, "").strip()
    if from_env:
        return DatabaseChoice(from_env, f"environment variable {DATABASE_URL_VARIABLE}")
    for path in (where.config_file, where.site_config_file):
        url = _configured_url(path)
        if url:
            return DatabaseChoice(url, f"config file {path}")
    return DatabaseChoice(sqlite_url(where.database_file), "default local SQLite database")


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


SMTP_SECURITY = ("starttls", "tls", "none")
_SMTP_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class SmtpSettings:
    """The `[smtp]` section of the config file: where the outbox's emails are handed over."""

    host: str
    port: int
    security: str  # one of SMTP_SECURITY
    from_address: str
    user: str | None
    source: Path  # the config file it came from


def _smtp_section(path: Path) -> dict[str, object] | None:
    section = read_config(path).get("smtp")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [smtp] must be a table of settings")
    return section


def _smtp_text(section: dict[str, object], key: str, path: Path, *,
               required: bool) -> str | None:
    value = section.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: [smtp] {key} must be a non-empty string")
    return value.strip()


def _parse_smtp(section: dict[str, object], path: Path) -> SmtpSettings:
    unknown = sorted(set(section) - {"host", "port", "security", "user", "from_address"})
    if unknown:
        raise ConfigError(f"{path}: [smtp] has unknown setting(s): {', '.join(unknown)}")
    host = _smtp_text(section, "host", path, required=True)
    from_address = _smtp_text(section, "from_address", path, required=True)
    assert host is not None and from_address is not None
    if "@" not in from_address:
        raise ConfigError(f"{path}: [smtp] from_address {from_address!r} is not an address")
    security = _smtp_text(section, "security", path, required=False) or "starttls"
    if security not in SMTP_SECURITY:
        raise ConfigError(f"{path}: [smtp] security must be one of {', '.join(SMTP_SECURITY)}, "
                          f"not {security!r}")
    port = section.get("port", _SMTP_DEFAULT_PORTS[security])
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"{path}: [smtp] port must be a number from 1 to 65535")
    return SmtpSettings(host, port, security, from_address,
                        _smtp_text(section, "user", path, required=False), path)


def smtp_settings(where: Locations | None = None) -> SmtpSettings:
    """The `[smtp]` section of the user's config file, else of the site-wide one; ConfigError,
    in one line, when neither has one or it is not usable."""
    where = where or locations()
    for path in (where.config_file, where.site_config_file):
        section = _smtp_section(path)
        if section is not None:
            return _parse_smtp(section, path)
    raise ConfigError(
        f"no [smtp] section in {where.config_file} or {where.site_config_file}: add one with "
        'host, port, security ("starttls", "tls" or "none"), from_address and, if the server '
        "wants a login, user")


# The reminder before a period's due date comes this many days before it (domain.md §2);
# `[reminders] days_before` in the config file changes it.
REMINDER_DAYS_BEFORE = 3
REMINDER_DAYS_BEFORE_RANGE = range(1, 31)


def reminder_days_before(where: Locations | None = None) -> int:
    """`[reminders] days_before` of the user's config file, else of the site-wide one, else
    REMINDER_DAYS_BEFORE; ConfigError, in one line, when it is not a number from 1 to 30."""
    where = where or locations()
    for path in (where.config_file, where.site_config_file):
        section = read_config(path).get("reminders")
        if section is None:
            continue
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [reminders] must be a table of settings")
        unknown = sorted(set(section) - {"days_before"})
        if unknown:
            raise ConfigError(f"{path}: [reminders] has unknown setting(s): {', '.join(unknown)}")
        days = section.get("days_before", REMINDER_DAYS_BEFORE)
        if isinstance(days, bool) or not isinstance(days, int) \
                or days not in REMINDER_DAYS_BEFORE_RANGE:
            raise ConfigError(f"{path}: [reminders] days_before must be a number of days from "
                              f"{REMINDER_DAYS_BEFORE_RANGE.start} to "
                              f"{REMINDER_DAYS_BEFORE_RANGE.stop - 1}")
        return days
    return REMINDER_DAYS_BEFORE
