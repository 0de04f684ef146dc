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
