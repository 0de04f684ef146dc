"""Where a person's files come in and go out: the upload folder attachments are taken from, and
the download folder exported PDFs land in.

On a shared database (PostgreSQL) payapp runs on a jump host, where the operating-system
account can read files that must never reach other companies (/etc/passwd was attached once).
There a person attaches only files from their own upload folder, and exports land in their own
download folder; both are created 0700 when missing. On a local SQLite database any readable
file may be attached and exports land in the data folder's `exports`, unless the config file
names the folders:

```toml
[files]
upload = "~/payapp/upload"      # the defaults on a shared database
download = "~/payapp/download"
```

`~` is the person's home and `%u` their login, as in sshd's ChrootDirectory. The user's config
file is read first, then the site config file.

A path is checked after it is resolved (symlinks and `..` followed), and the file that was
opened is checked again, so that a symlink swapped in meanwhile cannot lead outside.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from data.config import ConfigError, Locations, ensure_private_dir, locations, read_config
from data.refusals import Invalid

if TYPE_CHECKING:
    from sqlalchemy import Engine

DEFAULT_UPLOAD = "~/payapp/upload"
DEFAULT_DOWNLOAD = "~/payapp/download"


class OutsideUploadFolder(Invalid):
    """A file that is not in the person's upload folder."""


@dataclass(frozen=True)
class FileFolders:
    upload: Path | None  # None: any file the account can read may be attached
    download: Path


def _configured(where: Locations, key: str) -> str | None:
    for path in (where.config_file, where.site_config_file):
        section = read_config(path).get("files", {})
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [files] must be a table")
        value = section.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: [files] {key} must be a folder, not {value!r}")
        return value.strip()
    return None


def _folder(text: str) -> Path:
    """A configured folder as a full path: `%u` is the login, `~` the home; made absolute."""
    return Path(os.path.expanduser(text.replace("%u", getpass.getuser()))).absolute()


def file_folders(*, shared: bool, where: Locations | None = None) -> FileFolders:
    """The folders for a shared database (`shared`) or a local one, from the config files."""
    where = where or locations()
    upload = _configured(where, "upload") or (DEFAULT_UPLOAD if shared else None)
    download = _configured(where, "download")
    return FileFolders(
        upload=_folder(upload) if upload else None,
        download=_folder(download) if download else (
            _folder(DEFAULT_DOWNLOAD) if shared else where.exports_dir))


def folders_for(engine: Engine, where: Locations | None = None) -> FileFolders:
    """The folders for the database payapp is working on: anything but SQLite is shared."""
    return file_folders(shared=engine.dialect.name != "sqlite", where=where)


def ensure_folder(folder: Path, what: str) -> Path:
    """Create the folder (0700) when it is missing; a folder that cannot be made is said so."""
    try:
        return ensure_private_dir(folder)
    except OSError as error:
        raise Invalid(f"your {what} folder {folder} cannot be created or used "
                      f"({error.strerror or error}); ask your system administrator") from error


def upload_path(text: str, folder: Path | None) -> Path:
    """The file a person named, as a path to open. With an upload folder, a relative name is
    taken from that folder, and a path that leads outside it (through `..` or a symlink) is
    refused, naming the folder."""
    named = Path(os.path.expanduser(text))
    if folder is None:
        return named
    if not named.is_absolute():
        named = folder / named
    resolved = named.resolve()
    check_inside(resolved, folder, shown=named)
    return resolved


def check_inside(resolved: Path, folder: Path, *, shown: Path | None = None) -> None:
    """Refuse `resolved` (a path without symlinks) unless it is inside `folder`."""
    if resolved.is_relative_to(folder.resolve()):
        return
    shown = shown or resolved
    leads = f" (which leads to {resolved})" if shown != resolved else ""
    raise OutsideUploadFolder(
        f"{shown}{leads} is not in your upload folder {folder}. Only files in that folder can "
        "be attached: copy the file there first.")


def check_opened(descriptor: int, opened: Path, folder: Path | None) -> None:
    """After opening: the file really opened is inside the upload folder (a symlink swapped in
    between the check and the open is caught here). Linux names the open file in /proc."""
    if folder is None:
        return
    link = Path(f"/proc/self/fd/{descriptor}")
    if link.is_symlink():
        check_inside(Path(os.readlink(link)), folder, shown=opened)
        return
    info, now = os.fstat(descriptor), os.stat(opened.resolve())  # without /proc
    if (info.st_dev, info.st_ino) != (now.st_dev, now.st_ino):
        raise OutsideUploadFolder(f"{opened} changed while it was being opened; try again")
    check_inside(opened.resolve(), folder, shown=opened)
