# ruff: noqa: F811  (the fixtures imported from tests.pg_people are parameters here)
"""Attachment content on the shared database (migration 0009), as each person's own role: through
payapp, and through plain SQL the way psql would send it.

The demo: erin (Coastline Electric) and dan (Bayside Concrete) are invoice contacts of two
commitments; pat is the general contractor's invoice administrator of both (the reviewer); sam
is support. Erin's invoice #3 is the one she may still change.
"""

from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from data.db import reading, writing
from data.services.actors import actor_for_login
from data.services.attachments import (
    MEGABYTE,
    add_attachment,
    copy_attachment_to,
    read_attachment,
    remove_attachment,
)
from data.services.errors import NotFound
from tests.pg_people import (  # noqa: F401  (fixtures)
    CONCRETE,
    ELECTRICAL,
    Connect,
    Psql,
    admin,
    connect,
    demo_template,
    demo_url,
    invoice_ids,
    psql,
)

pytestmark = pytest.mark.postgres

REFUSED = "42501"  # insufficient_privilege: a grant or a trigger said no
CHECK = "23514"  # check_violation


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _rows(engine: Engine, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with engine.begin() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def _count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.begin() as connection:
        return int(connection.execute(text(sql), params).scalar_one())


def _refused(engine: Engine, *statements: str, match: str, code: str = REFUSED,
             **params: Any) -> None:
    """The statements, in one transaction, are refused (at the latest when it commits)."""
    with pytest.raises(DBAPIError, match=match) as caught, engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), params)
    assert getattr(caught.value.orig, "sqlstate", None) == code, caught.value


def _attach(engine: Engine, login: str, invoice_id: int, source: Path) -> int:
    with writing(engine) as session:
        return add_attachment(session, actor_for_login(session, login), invoice_id, source,
                              max_bytes=50 * MEGABYTE, within=None).id


def _read(engine: Engine, login: str, attachment_id: int) -> bytes:
    with reading(engine) as session:
        return b"".join(read_attachment(session, actor_for_login(session, login), attachment_id))


def _in_sql(engine: Engine, attachment_id: int) -> bytes:
    """The content as plain SQL reads it: the parts in order, and the chunks they name."""
    return b"".join(data for (data,) in _rows(
        engine, "SELECT c.data FROM attachment_part p JOIN attachment_chunk c "
                "ON c.sha256 = p.chunk_sha256 WHERE p.attachment_id = :a ORDER BY p.position",
        a=attachment_id))


@pytest.fixture
def content() -> bytes:
    return os.urandom(2 * MEGABYTE + 123)


@pytest.fixture
def erins_file(admin: Engine, connect: Connect, content: bytes, tmp_path: Path) -> int:
    """Erin's attachment on her invoice #3, attached through payapp as herself."""
    source = tmp_path / "backup.bin"
    source.write_bytes(content)
    return _attach(connect("erin"), "erin", invoice_ids(admin, ELECTRICAL)[-1], source)


def test_the_reviewer_and_support_read_a_contacts_attachment(
        erins_file: int, connect: Connect, psql: Psql, content: bytes, tmp_path: Path) -> None:
    for login in ("erin", "pat", "sam"):
        assert _read(connect(login), login, erins_file) == content, login
        assert _in_sql(psql(login), erins_file) == content, login
    with reading(connect("pat")) as session:
        copied = copy_attachment_to(session, actor_for_login(session, "pat"), erins_file,
                                    tmp_path / "copy.bin")
    assert copied.read_bytes() == content


def test_a_contact_of_another_company_sees_none_of_it(
        erins_file: int, connect: Connect, psql: Psql, content: bytes) -> None:
    dan = psql("dan")
    assert _count(dan, "SELECT count(*) FROM attachment_part") == 0
    assert _count(dan, "SELECT count(*) FROM attachment_chunk") == 0
    assert _rows(dan, "SELECT data FROM attachment_chunk WHERE sha256 = :k",
                 k=sha(content[:MEGABYTE])) == []
    with reading(connect("dan")) as session, pytest.raises(NotFound):
        read_attachment(session, actor_for_login(session, "dan"), erins_file)


def test_nobody_stores_bytes_under_a_key_that_is_not_their_hash(
        admin: Engine, erins_file: int, psql: Psql, content: bytes) -> None:
    first = sha(content[:MEGABYTE])
    for login in ("dan", "erin"):
        _refused(psql(login), "INSERT INTO attachment_chunk (sha256, data) VALUES (:k, :d)",
                 k=sha(b"what the key says"), d=b"other bytes", match="key_is_hash",
                 code=CHECK)
        # Already stored: the bytes are checked all the same, before the conflict is seen.
        _refused(psql(login), "INSERT INTO attachment_chunk (sha256, data) VALUES (:k, :d) "
                              "ON CONFLICT DO NOTHING",
                 k=first, d=b"other bytes", match="key_is_hash", code=CHECK)
    assert _rows(admin, "SELECT data FROM attachment_chunk WHERE sha256 = :k",
                 k=first) == [(content[:MEGABYTE],)]


def test_support_neither_adds_nor_deletes_content(admin: Engine, erins_file: int,
                                                  psql: Psql) -> None:
    sam = psql("sam")
    before = _count(admin, "SELECT count(*) FROM attachment_chunk")
    _refused(sam, "INSERT INTO attachment_chunk (sha256, data) VALUES (:k, :d)",
             k=sha(b"x"), d=b"x", match="permission denied")
    for statement in ("INSERT INTO attachment_part (attachment_id, position, chunk_sha256) "
                      "VALUES (:a, 9, :k)",
                      "DELETE FROM attachment_part WHERE attachment_id = :a",
                      "DELETE FROM attachment_chunk",
                      "UPDATE attachment_part SET position = position + 10"):
        _refused(sam, statement, a=erins_file, k=sha(b"x"), match="permission denied")
    assert _count(admin, "SELECT count(*) FROM attachment_chunk") == before


def test_content_is_given_with_its_attachment_and_goes_only_with_it(
        admin: Engine, erins_file: int, psql: Psql, content: bytes) -> None:
    erin, pat = psql("erin"), psql("pat")
    parts = _rows(admin, "SELECT * FROM attachment_part ORDER BY position")
    for who in (erin, pat):
        for statement in ("DELETE FROM attachment_part WHERE attachment_id = :a",
                          "DELETE FROM attachment_chunk",
                          "UPDATE attachment_part SET chunk_sha256 = :k WHERE attachment_id = :a"):
            _refused(who, statement, a=erins_file, k=sha(content[:MEGABYTE]),
                     match="permission denied")
    # Adding to the content later would change it past the audited SHA-256 of the attachment.
    _refused(erin, "INSERT INTO attachment_chunk (sha256, data) VALUES (:k, :d) "
                   "ON CONFLICT DO NOTHING",
             "INSERT INTO attachment_part (attachment_id, position, chunk_sha256) "
             "VALUES (:a, 3, :k)",
             k=sha(b"appended"), d=b"appended", a=erins_file, match="given when it is attached")
    # Content that belongs to no attachment is refused when the transaction commits.
    _refused(erin, "INSERT INTO attachment_chunk (sha256, data) VALUES (:k, :d)",
             k=sha(b"loose"), d=b"loose", match="only as part of an attachment")
    assert _rows(admin, "SELECT * FROM attachment_part ORDER BY position") == parts
    assert _count(admin, "SELECT count(*) FROM attachment_chunk") == 3


def test_a_contact_attaches_from_psql_in_one_transaction(admin: Engine, psql: Psql) -> None:
    erin, dan = psql("erin"), psql("dan")
    invoice, data = invoice_ids(admin, ELECTRICAL)[-1], b"signed delivery ticket"
    with erin.begin() as connection:
        attachment = connection.execute(text(
            "INSERT INTO attachment (invoice_id, sha256, original_name, size_bytes, "
            "content_type, uploaded_by_id, uploaded_at) VALUES (:i, :s, 'ticket.txt', :n, "
            "'text/plain', 0, now()) RETURNING id"),
            {"i": invoice, "s": sha(data), "n": len(data)}).scalar_one()
        connection.execute(text("INSERT INTO attachment_chunk (sha256, data) VALUES (:k, :d) "
                                "ON CONFLICT DO NOTHING"), {"k": sha(data), "d": data})
        connection.execute(text("INSERT INTO attachment_part (attachment_id, position, "
                                "chunk_sha256) VALUES (:a, 0, :k)"),
                           {"a": attachment, "k": sha(data)})
    assert _in_sql(psql("pat"), attachment) == data
    # dan cannot hang his content on erin's attachment, which he does not even see.
    _refused(dan, "INSERT INTO attachment_chunk (sha256, data) VALUES (:k, :d)",
             "INSERT INTO attachment_part (attachment_id, position, chunk_sha256) "
             "VALUES (:a, 1, :k)",
             k=sha(b"dan's"), d=b"dan's", a=attachment,
             match="row-level security|given when it is attached")
    assert _in_sql(admin, attachment) == data


def test_removing_keeps_the_chunks_attachments_she_cannot_see_still_name(
        admin: Engine, erins_file: int, connect: Connect, content: bytes,
        tmp_path: Path) -> None:
    source = tmp_path / "same.bin"
    source.write_bytes(content)
    dans = _attach(connect("pat"), "pat", invoice_ids(admin, CONCRETE)[-1], source)
    assert _count(admin, "SELECT count(*) FROM attachment_chunk") == 3  # stored once

    with writing(connect("erin")) as session:  # erin cannot see dan's attachment
        remove_attachment(session, actor_for_login(session, "erin"), erins_file)
    assert _count(admin, "SELECT count(*) FROM attachment_chunk") == 3
    assert _read(connect("dan"), "dan", dans) == content

    with pytest.raises(RuntimeError), writing(connect("pat")) as session:
        remove_attachment(session, actor_for_login(session, "pat"), dans)
        raise RuntimeError("rolled back")
    assert _read(connect("dan"), "dan", dans) == content

    with writing(connect("pat")) as session:
        remove_attachment(session, actor_for_login(session, "pat"), dans)
    assert _count(admin, "SELECT count(*) FROM attachment_chunk") == 0
    assert _count(admin, "SELECT count(*) FROM attachment_part") == 0


def test_a_chunk_someone_is_naming_meanwhile_survives_a_removal(
        admin: Engine, erins_file: int, connect: Connect, psql: Psql, content: bytes) -> None:
    """Pat attaches the same bytes to dan's invoice while erin removes hers: erin's removal
    cannot see pat's uncommitted part, waits for it, and then keeps the chunk pat names."""
    first = content[:MEGABYTE]
    with psql("pat").connect() as pats:
        pats.begin()
        attachment = pats.execute(text(
            "INSERT INTO attachment (invoice_id, sha256, original_name, size_bytes, "
            "content_type, uploaded_by_id, uploaded_at) VALUES (:i, :s, 'same.bin', :n, "
            "'application/octet-stream', 0, now()) RETURNING id"),
            {"i": invoice_ids(admin, CONCRETE)[-1], "s": sha(first), "n": len(first)}
        ).scalar_one()
        pats.execute(text("INSERT INTO attachment_chunk (sha256, data) VALUES (:k, :d) "
                          "ON CONFLICT DO NOTHING"), {"k": sha(first), "d": first})
        pats.execute(text("INSERT INTO attachment_part (attachment_id, position, chunk_sha256) "
                          "VALUES (:a, 0, :k)"), {"a": attachment, "k": sha(first)})
        with ThreadPoolExecutor(1) as pool:
            removal = pool.submit(_remove, connect("erin"), "erin", erins_file)
            time.sleep(0.5)  # erin's removal now waits for pat's transaction
            assert not removal.done()
            pats.commit()
            removal.result(timeout=10)
    assert _rows(admin, "SELECT sha256 FROM attachment_chunk") == [(sha(first),)]
    assert _read(connect("dan"), "dan", attachment) == first


def _remove(engine: Engine, login: str, attachment_id: int) -> None:
    with writing(engine) as session:
        remove_attachment(session, actor_for_login(session, login), attachment_id)
