"""Files in and out on a shared host (data/file_folders.py): on a shared database a person
attaches only files from their own upload folder, and exports land in their download folder.

The rule resolves a path before checking it, so `..` and symlinks cannot lead out; the service
checks the file it really opened again; the app on PostgreSQL refuses /etc/passwd, stores
nothing, and exports into the download folder.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF
from sqlalchemy import Engine, text
from sqlmodel import select
from textual.widgets import Input

from data.config import ConfigError, locations
from data.db import reading, writing
from data.file_folders import (
    FileFolders,
    OutsideUploadFolder,
    check_opened,
    file_folders,
    folders_for,
    upload_path,
)
from data.models import Attachment
from data.services import attachments
from data.services.actors import actor_for_login
from data.services.attachments import MEGABYTE, add_attachment
from tests.conftest import DEMO_TODAY
from tests.invoice_pilot import open_erins_invoice_3, settle
from tests.pg_people import (  # noqa: F401  (fixtures)
    Connect,
    admin,
    connect,
    demo_template,
    demo_url,
)
from tui.app import PayApp
from tui.dialogs import Ask
from tui.widgets.path_suggester import PathSuggester


def _pdf() -> bytes:
    document = FPDF()
    document.set_font("helvetica", size=12)
    document.add_page()
    document.cell(text="Delivery ticket 4417")
    return bytes(document.output())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A person's home: the default folders are under it."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def upload(tmp_path: Path) -> Path:
    """An upload folder holding ticket.pdf, beside a secret that is not in it."""
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "ticket.pdf").write_bytes(_pdf())
    (tmp_path / "secret.txt").write_text("not for other companies\n")
    return folder


# --- the path rule ---------------------------------------------------------------------------


def test_a_file_in_the_upload_folder_is_taken_and_a_bare_name_is_read_from_there(
        upload: Path, home: Path) -> None:
    assert upload_path(str(upload / "ticket.pdf"), upload) == upload / "ticket.pdf"
    assert upload_path("ticket.pdf", upload) == upload / "ticket.pdf"
    assert upload_path("./sub/../ticket.pdf", upload) == upload / "ticket.pdf"
    (home / "up").symlink_to(upload)  # `~` is expanded, and a linked folder is the folder
    assert upload_path("~/up/ticket.pdf", home / "up") == upload / "ticket.pdf"


@pytest.mark.parametrize("named", ["../secret.txt", "{upload}/../secret.txt", "/etc/passwd",
                                   "{upload}-other/ticket.pdf"],
                         ids=["dot-dot", "absolute-dot-dot", "absolute-elsewhere",
                              "same-prefix"])
def test_a_path_outside_the_upload_folder_is_refused_naming_the_folder(
        upload: Path, named: str) -> None:
    with pytest.raises(OutsideUploadFolder, match="is not in your upload folder") as refused:
        upload_path(named.format(upload=upload), upload)
    assert f"your upload folder {upload}." in str(refused.value)
    assert "copy the file there first" in str(refused.value)


def test_a_symlink_that_leads_out_is_refused_and_says_where_it_leads(
        upload: Path, tmp_path: Path) -> None:
    (upload / "passwd.pdf").symlink_to("/etc/passwd")
    (upload / "up").symlink_to(tmp_path)  # a linked folder that leads out
    (upload / "inside.pdf").symlink_to(upload / "ticket.pdf")
    with pytest.raises(OutsideUploadFolder,
                       match=r"passwd.pdf \(which leads to /etc/passwd\) is not in"):
        upload_path("passwd.pdf", upload)
    with pytest.raises(OutsideUploadFolder, match=f"which leads to {tmp_path / 'secret.txt'}"):
        upload_path("up/secret.txt", upload)
    assert upload_path("inside.pdf", upload) == upload / "ticket.pdf"


def test_without_an_upload_folder_any_path_is_taken_as_today(upload: Path, home: Path) -> None:
    assert upload_path("/etc/passwd", None) == Path("/etc/passwd")
    assert upload_path("~/x.pdf", None) == home / "x.pdf"


def test_the_file_opened_is_checked_again(upload: Path, tmp_path: Path) -> None:
    """A symlink swapped in after the check: the open file is what counts."""
    descriptor = os.open(tmp_path / "secret.txt", os.O_RDONLY)
    try:
        with pytest.raises(OutsideUploadFolder, match="is not in your upload folder"):
            check_opened(descriptor, upload / "ticket.pdf", upload)
    finally:
        os.close(descriptor)
    descriptor = os.open(upload / "ticket.pdf", os.O_RDONLY)
    try:
        check_opened(descriptor, upload / "ticket.pdf", upload)
    finally:
        os.close(descriptor)


# --- the folders from the config files -------------------------------------------------------


def test_the_default_folders_on_a_shared_and_on_a_local_database(home: Path) -> None:
    assert file_folders(shared=True) == FileFolders(home / "payapp" / "upload",
                                                    home / "payapp" / "download")
    assert file_folders(shared=False) == FileFolders(None, locations().exports_dir)


def test_the_config_files_name_the_folders_user_first(home: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    where = locations()
    where.site_config_file.parent.mkdir(parents=True)
    where.site_config_file.write_text('[files]\nupload = "/srv/payapp-files/%u/upload"\n'
                                      'download = "/srv/payapp-files/%u/download"\n')
    monkeypatch.setenv("LOGNAME", "ewalsh")
    shared = file_folders(shared=True)
    assert shared.upload == Path("/srv/payapp-files/ewalsh/upload")
    assert shared.download == Path("/srv/payapp-files/ewalsh/download")
    # set in the config file, the folders apply on a local database too
    assert file_folders(shared=False).upload == shared.upload
    where.config_file.parent.mkdir(parents=True)
    where.config_file.write_text('[files]\nupload = "~/in"\n')
    assert file_folders(shared=False).upload == home / "in"
    assert file_folders(shared=False).download == shared.download
    where.config_file.write_text('[files]\nupload = ""\n')
    with pytest.raises(ConfigError, match=r"\[files\] upload must be a folder"):
        file_folders(shared=True)


# --- the service -----------------------------------------------------------------------------


def _electrical_3(engine: Engine) -> int:
    with reading(engine) as session:
        return int(session.execute(text(
            "SELECT i.id FROM invoice i JOIN commitment c ON c.id = i.commitment_id "
            "WHERE c.number = 'SC-2417-016' AND i.position = 3")).scalar_one())


def _attach(engine: Engine, source: Path, within: Path | None) -> None:
    with writing(engine) as session:
        add_attachment(session, actor_for_login(session, "erin"), _electrical_3(engine), source,
                       max_bytes=MEGABYTE, within=within)


def _stored(engine: Engine) -> tuple[int, int]:
    """How many attachments, and how many chunks of content, the database holds."""
    with reading(engine) as session:
        rows = len(session.exec(select(Attachment)).all())
        chunks = session.execute(text("SELECT count(*) FROM attachment_chunk")).scalar_one()
    return rows, chunks


def test_the_service_refuses_a_file_outside_the_folder_and_stores_nothing(
        demo_engine: Engine, upload: Path) -> None:
    (upload / "passwd.pdf").symlink_to("/etc/passwd")
    for source in (Path("/etc/passwd"), upload / "passwd.pdf", upload / ".." / "secret.txt"):
        with pytest.raises(OutsideUploadFolder, match=f"your upload folder {upload}"):
            _attach(demo_engine, source, upload)
    assert _stored(demo_engine) == (0, 0)
    _attach(demo_engine, upload / "ticket.pdf", upload)
    assert _stored(demo_engine) == (1, 1)


def test_a_symlink_swapped_in_after_the_check_is_refused_at_the_open(
        demo_engine: Engine, upload: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The path checked was a file; by the open it is a link to /etc/passwd."""
    swapped = upload / "swapped.pdf"
    swapped.symlink_to("/etc/passwd")
    monkeypatch.setattr(attachments, "upload_path", lambda _text, _folder: swapped)
    with pytest.raises(OutsideUploadFolder, match="became a link while it was being opened"):
        _attach(demo_engine, swapped, upload)
    assert _stored(demo_engine) == (0, 0)


# --- the suggester ---------------------------------------------------------------------------


async def test_the_suggester_completes_from_the_upload_folder_only(upload: Path) -> None:
    (upload / "sub").mkdir()
    suggester = PathSuggester(within=upload)
    assert await suggester.get_suggestion("tic") == "ticket.pdf"
    assert await suggester.get_suggestion(f"{upload}/s") == f"{upload}/sub/"
    assert await suggester.get_suggestion("/etc/pas") is None
    assert await suggester.get_suggestion("../sec") is None
    assert await PathSuggester().get_suggestion("/etc/pass") == "/etc/passwd"


# --- the app on PostgreSQL -------------------------------------------------------------------


@pytest.fixture
def erins_app(connect: Connect, home: Path) -> Iterator[PayApp]:  # noqa: F811
    """The app as erin, on her own database role: a shared database."""
    engine = connect("erin")
    assert folders_for(engine).upload == home / "payapp" / "upload"
    yield PayApp(engine, login="erin", today=lambda: DEMO_TODAY)


@pytest.mark.postgres
async def test_on_postgres_etc_passwd_is_refused_and_exports_land_in_the_download_folder(
        erins_app: PayApp, admin: Engine, home: Path) -> None:  # noqa: F811
    upload, download = home / "payapp" / "upload", home / "payapp" / "download"
    async with erins_app.run_test(size=(80, 24)) as pilot:
        await open_erins_invoice_3(pilot)
        await pilot.press("f", "a")
        await pilot.pause()
        dialog = erins_app.screen
        assert isinstance(dialog, Ask)
        assert dialog.query_one(Input).value == "~/payapp/upload/"  # it starts there
        assert _mode(upload) == 0o700  # created private
        (upload / "passwd.pdf").symlink_to("/etc/passwd")
        for typed in ("/etc/passwd", "passwd.pdf", "~/payapp/upload/../../../etc/passwd"):
            dialog.query_one(Input).value = typed
            await pilot.press("enter")
            await pilot.pause()
            assert erins_app.screen is dialog, typed  # refused: the dialog stays
            problem = str(dialog.query_one("#problem").render())
            assert f"your upload folder {upload}" in " ".join(problem.split()), problem
        await pilot.press("escape")
        await settle(pilot)
        with admin.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM attachment")).scalar() == 0
            assert connection.execute(text("SELECT count(*) FROM attachment_chunk")).scalar() == 0

        (upload / "ticket.pdf").write_bytes(_pdf())  # as sftp would put it there
        await pilot.press("a")
        await pilot.pause()
        erins_app.screen.query_one(Input).value = "~/payapp/upload/ticket.pdf"
        await pilot.press("enter")
        await settle(pilot)
        with admin.connect() as connection:
            assert connection.execute(text("SELECT original_name FROM attachment")
                                      ).scalars().all() == ["ticket.pdf"]

        await pilot.press("x")
        await settle(pilot)
        [exported] = download.iterdir()
        assert exported.read_bytes().startswith(b"%PDF")
        assert _mode(download) == 0o700 and _mode(exported) == 0o600
        assert not locations().exports_dir.exists()
