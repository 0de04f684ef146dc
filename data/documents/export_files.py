"""Writing an export (a PDF, a CSV, a history as text) into a person's folder: a new private
file (0600, in a 0700 folder) that never replaces an earlier one (`name (2).pdf`, `(3)`...),
written whole or not at all; and file names that are safe on any system."""

from __future__ import annotations

import os
import tempfile
import unicodedata
from pathlib import Path

from data.config import ensure_private_dir

MAX_SAME_NAME = 10_000
MAX_FILE_STEM_BYTES = 200


def write_export(folder: Path, file_name: str, content: bytes) -> Path:
    """Writes `content` into `folder` under `file_name` (or the next free variant of it) and
    returns the file's full path."""
    ensure_private_dir(folder)
    target = _claim_new_path(folder, file_name)
    try:
        write_atomically(target, content)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def claim_new_path(folder: Path, file_name: str) -> Path:
    """An empty new private file in `folder` (created private if missing) under `file_name` or
    its next free variant, for a writer that fills it by replacing it (a merge, a long job)."""
    ensure_private_dir(folder)
    return _claim_new_path(folder, file_name)


def _claim_new_path(folder: Path, file_name: str) -> Path:
    """Creates an empty 0600 file under `file_name`, or `name (2).pdf`, `(3)`... if it is taken,
    so that two exports never write to the same file."""
    stem, suffix = os.path.splitext(file_name)
    for number in range(1, MAX_SAME_NAME + 1):
        candidate = folder / (file_name if number == 1 else f"{stem} ({number}){suffix}")
        try:
            handle = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        os.close(handle)
        return candidate
    raise FileExistsError(f"{folder} already holds {MAX_SAME_NAME} files named {file_name!r}")


def write_atomically(target: Path, content: bytes) -> None:
    """Writes `content` (0600) to a temporary file beside `target`, then renames it over
    `target`: the file is whole or untouched."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _is_unsafe_in_file_name(character: str) -> bool:
    return character in '/\\:*?"<>|' or unicodedata.category(character) in {
        "Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def safe_file_stem(text: str) -> str:
    """`text` usable as a file name on any system: no separators, no reserved or invisible
    characters (direction overrides included), no leading dots or dashes, at most 200 bytes."""
    cleaned = "".join("_" if _is_unsafe_in_file_name(character) else character
                      for character in unicodedata.normalize("NFC", text))
    cleaned = " ".join(cleaned.split()).lstrip(".- ").rstrip(". ")
    while len(cleaned.encode()) > MAX_FILE_STEM_BYTES:
        cleaned = cleaned[:-1].rstrip(". ")
    return cleaned or "invoice"
