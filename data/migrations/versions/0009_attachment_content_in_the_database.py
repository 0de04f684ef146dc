"""attachment content in the database: chunks stored once under their own SHA-256, and each
attachment's chunks in order

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-16

Until this revision an attachment's bytes were copied into the data folder of whoever attached
it (`attachments/<sha256>`), where nobody else could open them. Now they are in the database, on
SQLite and PostgreSQL alike:

- `attachment_chunk`: up to 1 MiB of content under the SHA-256 (hex) of those bytes, stored once
  however many attachments contain them;
- `attachment_part`: an attachment's chunks, in order. Parts go with their attachment (ON DELETE
  CASCADE), and a trigger deletes a chunk that no part names any more;
- `attachment.content_missing`: the file was not found when this revision moved files in.

Moving in: every attachment whose file is in the folder store of the person running the
migration is streamed into chunks and checked against the attachment's SHA-256; the others are
kept and marked, and reading them says why. The migration tells which (`payapp db upgrade`
prints it) and leaves the folders as they were. On a shared host each person's files are in
their own data folder: `PAYAPP_MOVE_ATTACHMENTS_FROM` names more folder stores to look in
(separated by `:`), e.g. every person's `~/.local/share/payapp/attachments` when the upgrade
runs as root. A file is taken from whichever folder holds it, since it must match the SHA-256
anyway. On PostgreSQL the migration sees the attachments only when it runs as a role that
bypasses row-level security (a superuser); otherwise it says so and moves nothing. Downgrading
writes the files back into the folder store of the person running it.

On PostgreSQL:

- The database checks that a chunk's key is the SHA-256 of its data, also when the chunk is
  there already (INSERT ... ON CONFLICT DO NOTHING checks the row before it looks for a
  conflict), so nobody can put other bytes under a hash.
- Row-level security: a person sees the parts of the attachments they see (the attachment's own
  policies decide, support included), and a chunk only when one of those parts names it.
- Grants: people (payapp_user) insert chunks and parts; support (payapp_reader) only reads.
  Nobody updates or deletes them directly: parts go with their attachment (the cascade runs as
  the table owner) and chunks by the trigger, which runs as payapp_policy because a person cannot
  see whether other people's attachments still name a chunk.
- A part is added only in the transaction that inserted its attachment, by someone who may change
  the invoice; so an attachment's content is fixed together with its row, whose audit entries
  (0004) carry the whole file's SHA-256. That is why parts and chunks are not audited themselves.
- A chunk that no part names when its transaction commits is refused (a deferred trigger), so
  nobody can fill the database with content that belongs to no attachment.

Left as it is: whoever knows the SHA-256 of a chunk someone else stored can name it in a part of
their own attachment (foreign keys do not see row-level security), so they learn that somebody
stored those exact bytes. Knowing the hash of bytes one does not have is the hard part: hashes
are visible only with the attachments they belong to.
"""

import hashlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from alembic import op

from data.config import ensure_private_dir, locations
from data.migrate import tell

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK_BYTES = 1024 * 1024
FOLDER_STORE = "attachments"  # in payapp's data folder: where attachments were kept until now
MORE_FOLDER_STORES = "PAYAPP_MOVE_ATTACHMENTS_FROM"

POSTGRES = r"""
ALTER TABLE attachment_chunk ADD CONSTRAINT ck_attachment_chunk_key_is_hash
    CHECK (sha256 = encode(sha256(data), 'hex'));

-- An attachment's content is given while it is attached, by whoever may change the invoice.
CREATE FUNCTION payapp_attachment_part_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    parent attachment;
    why text;
BEGIN
    IF payapp_is_maintainer() THEN
        RETURN NEW;
    END IF;
    SELECT * INTO parent FROM attachment WHERE id = NEW.attachment_id;
    -- The attachment guard (0004) stamps uploaded_at with now(): the transaction's start.
    IF NOT FOUND OR parent.uploaded_at <> now() THEN
        PERFORM payapp_refuse('an attachment''s content is given when it is attached and never '
                              'changed; remove it and attach another');
    END IF;
    why := payapp_why_not_edit((SELECT i FROM invoice i WHERE i.id = parent.invoice_id));
    IF why IS NOT NULL THEN
        PERFORM payapp_refuse(why);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER attachment_part_guard BEFORE INSERT ON attachment_part
    FOR EACH ROW EXECUTE FUNCTION payapp_attachment_part_guard();

-- As payapp_policy: a person cannot see other people's parts that may still name the chunk.
-- A part someone else added meanwhile, not yet committed when this looked, keeps the chunk: its
-- foreign key refuses the delete, and the chunk stays.
CREATE FUNCTION payapp_attachment_chunk_release() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM attachment_chunk c WHERE c.sha256 = OLD.chunk_sha256
        AND NOT EXISTS (SELECT 1 FROM attachment_part p WHERE p.chunk_sha256 = OLD.chunk_sha256);
    RETURN NULL;
EXCEPTION WHEN foreign_key_violation THEN
    RETURN NULL;
END $$;
CREATE TRIGGER attachment_part_release AFTER DELETE ON attachment_part
    FOR EACH ROW EXECUTE FUNCTION payapp_attachment_chunk_release();

CREATE FUNCTION payapp_attachment_chunk_named() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM attachment_chunk c WHERE c.sha256 = NEW.sha256)
            AND NOT EXISTS (SELECT 1 FROM attachment_part p WHERE p.chunk_sha256 = NEW.sha256)
    THEN
        PERFORM payapp_refuse('content is stored only as part of an attachment');
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER attachment_chunk_named AFTER INSERT ON attachment_chunk
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payapp_attachment_chunk_named();

CREATE POLICY attachment_part_read ON attachment_part FOR SELECT
    USING (attachment_id IN (SELECT a.id FROM attachment a));
CREATE POLICY attachment_part_add ON attachment_part FOR INSERT
    WITH CHECK (attachment_id IN (SELECT a.id FROM attachment a));
CREATE POLICY attachment_chunk_read ON attachment_chunk FOR SELECT
    USING (EXISTS (SELECT 1 FROM attachment_part p WHERE p.chunk_sha256 = attachment_chunk.sha256));
CREATE POLICY attachment_chunk_add ON attachment_chunk FOR INSERT
    WITH CHECK ((SELECT payapp_me()) IS NOT NULL);
"""

OWNED_FUNCTIONS = ("payapp_attachment_part_guard()", "payapp_attachment_chunk_release()",
                   "payapp_attachment_chunk_named()")

SQLITE_RELEASE = """
CREATE TRIGGER attachment_part_release AFTER DELETE ON attachment_part
BEGIN
    DELETE FROM attachment_chunk WHERE sha256 = OLD.chunk_sha256
        AND NOT EXISTS (SELECT 1 FROM attachment_part p WHERE p.chunk_sha256 = OLD.chunk_sha256);
END
"""

INSERT_CHUNK = sa.text("INSERT INTO attachment_chunk (sha256, data) VALUES (:sha256, :data) "
                       "ON CONFLICT DO NOTHING")
INSERT_PART = sa.text("INSERT INTO attachment_part (attachment_id, position, chunk_sha256) "
                      "VALUES (:attachment_id, :position, :sha256)")
READ_PART = sa.text("SELECT c.data FROM attachment_part p JOIN attachment_chunk c "
                    "ON c.sha256 = p.chunk_sha256 "
                    "WHERE p.attachment_id = :attachment_id AND p.position = :position")


def upgrade() -> None:
    with op.batch_alter_table("attachment") as batch:
        batch.add_column(sa.Column("content_missing", sa.Boolean(), nullable=False,
                                   server_default=sa.text("false")))
    _create_tables()
    if op.get_bind().dialect.name == "postgresql":
        _secure()
    else:
        op.execute(SQLITE_RELEASE)
    _move_files_in(op.get_bind(), _folder_stores())


def downgrade() -> None:
    _write_files_out(op.get_bind(), locations().data_dir / FOLDER_STORE)
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # the chunks' policy reads the parts
        op.execute("DROP POLICY attachment_chunk_read ON attachment_chunk")
    op.drop_table("attachment_part")  # its triggers and policies go with it
    op.drop_table("attachment_chunk")
    if postgres:
        for name in OWNED_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}")
    with op.batch_alter_table("attachment") as batch:
        batch.drop_column("content_missing")


def _create_tables() -> None:
    op.create_table(
        "attachment_chunk",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(f"length(data) BETWEEN 1 AND {CHUNK_BYTES}",
                           name=op.f("ck_attachment_chunk_size_range")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_attachment_chunk")),
    )
    op.create_table(
        "attachment_part",
        sa.Column("attachment_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("chunk_sha256", sa.String(64), nullable=False),
        sa.CheckConstraint("position >= 0", name=op.f("ck_attachment_part_position_not_negative")),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachment.id"], ondelete="CASCADE",
                                name=op.f("fk_attachment_part_attachment_id_attachment")),
        sa.ForeignKeyConstraint(["chunk_sha256"], ["attachment_chunk.sha256"],
                                name=op.f("fk_attachment_part_chunk_sha256_attachment_chunk")),
        sa.PrimaryKeyConstraint("attachment_id", "position", name=op.f("pk_attachment_part")),
    )
    op.create_index(op.f("ix_attachment_part_chunk_sha256"), "attachment_part",
                    ["chunk_sha256"])


def _secure() -> None:
    for table in ("attachment_chunk", "attachment_part"):
        op.execute(f"ALTER TABLE {table} OWNER TO payapp_owner")
        op.execute(f"REVOKE ALL ON {table} FROM PUBLIC")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute("GRANT SELECT ON attachment_chunk, attachment_part TO payapp_user, payapp_reader")
    op.execute("GRANT INSERT ON attachment_chunk, attachment_part TO payapp_user")
    op.execute("GRANT SELECT, DELETE ON attachment_chunk TO payapp_policy")
    op.execute("GRANT SELECT ON attachment_part TO payapp_policy")
    op.execute(POSTGRES)
    for name in OWNED_FUNCTIONS:
        op.execute(f"ALTER FUNCTION {name} OWNER TO payapp_policy")
        op.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")


# --- moving the files in ---------------------------------------------------------------------


def _folder_stores() -> list[Path]:
    more = os.environ.get(MORE_FOLDER_STORES, "").split(os.pathsep)
    return [locations().data_dir / FOLDER_STORE,
            *(Path(folder.strip()).expanduser() for folder in more if folder.strip())]


def _move_files_in(bind: sa.Connection, stores: list[Path]) -> None:
    if not _sees_every_attachment(bind):
        tell(f"attachments: {bind.execute(sa.text('SELECT current_user')).scalar_one()} does "
             "not bypass row-level security, so no attachment file was moved into the "
             "database; the attachments without content say so when opened")
        return
    rows = bind.execute(sa.text("SELECT id, invoice_id, sha256, original_name FROM attachment "
                                "ORDER BY id")).all()
    moved = 0
    for attachment_id, invoice_id, sha256, name in rows:
        reasons = _move_in(bind, stores, attachment_id, sha256)
        if not reasons:
            moved += 1
            continue
        bind.execute(sa.text("UPDATE attachment SET content_missing = true WHERE id = :i"),
                     {"i": attachment_id})
        tell(f"attachments: {name} (attachment {attachment_id}, invoice {invoice_id}) was not "
             f"moved into the database ({'; '.join(reasons)}); it stays listed, marked as not "
             "found: attach it again")
    if moved:
        tell(f"attachments: moved {moved} of {len(rows)} files into the database from "
             + ", ".join(str(store) for store in stores))
    for store in stores:
        if rows and store.is_dir():
            tell(f"attachments: payapp no longer uses {store}; delete it once you have "
                 "checked the attachments")


def _sees_every_attachment(bind: sa.Connection) -> bool:
    if bind.dialect.name != "postgresql":
        return True
    return bool(bind.execute(sa.text(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).scalar_one())


def _move_in(bind: sa.Connection, stores: list[Path], attachment_id: int,
             sha256: str) -> list[str]:
    """Move the file in from the first store that holds it whole; else why not, store by
    store."""
    reasons = []
    for store in stores:
        reason = _move_in_from(bind, store, attachment_id, sha256)
        if reason is None:
            return []
        reasons.append(reason)
    return reasons


def _move_in_from(bind: sa.Connection, store: Path, attachment_id: int,
                  sha256: str) -> str | None:
    """Stream the file into chunks; None when it is in, else why not (nothing is kept)."""
    path = _stored_path(store, sha256)
    if path is None or not path.is_file():
        return f"not in {store}"
    digest = hashlib.sha256()
    try:
        with path.open("rb") as source:
            for position, chunk in enumerate(_chunks(source)):
                digest.update(chunk)
                _insert_chunk(bind, attachment_id, position, chunk)
    except OSError as error:
        _forget_parts(bind, attachment_id)
        return f"{path} could not be read: {error.strerror}"
    if digest.hexdigest() != sha256:
        _forget_parts(bind, attachment_id)
        return f"{path} does not match its SHA-256"
    return None


def _stored_path(store: Path, sha256: str) -> Path | None:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return None
    return store / sha256


def _chunks(source: BinaryIO) -> Iterator[bytes]:
    while chunk := source.read(CHUNK_BYTES):
        yield chunk


def _insert_chunk(bind: sa.Connection, attachment_id: int, position: int, chunk: bytes) -> None:
    key = hashlib.sha256(chunk).hexdigest()
    bind.execute(INSERT_CHUNK, {"sha256": key, "data": chunk})
    bind.execute(INSERT_PART, {"attachment_id": attachment_id, "position": position,
                               "sha256": key})


def _forget_parts(bind: sa.Connection, attachment_id: int) -> None:
    """The release trigger deletes the chunks nothing else names."""
    bind.execute(sa.text("DELETE FROM attachment_part WHERE attachment_id = :i"),
                 {"i": attachment_id})


# --- writing them back out (downgrade) -------------------------------------------------------


def _write_files_out(bind: sa.Connection, store: Path) -> None:
    """Each content once, into `store` under its SHA-256, as payapp kept attachments before."""
    rows = bind.execute(sa.text(
        "SELECT a.id, a.sha256, count(*) FROM attachment a "
        "JOIN attachment_part p ON p.attachment_id = a.id "
        "GROUP BY a.id, a.sha256 ORDER BY a.id")).all()
    written: set[str] = set()
    for attachment_id, sha256, parts in rows:
        path = _stored_path(store, sha256)
        if path is None or sha256 in written:
            continue
        if _write_out(bind, ensure_private_dir(store), path, attachment_id, parts):
            written.add(sha256)
        else:
            tell(f"attachments: attachment {attachment_id} does not match its SHA-256 in the "
                 "database; it was not written back")
    if written:
        tell(f"attachments: wrote {len(written)} files back to {store}")


def _write_out(bind: sa.Connection, store: Path, path: Path, attachment_id: int,
               parts: int) -> bool:
    """Write the attachment's content to `path` if it matches the name's SHA-256."""
    descriptor, temporary = tempfile.mkstemp(dir=store, prefix=".incoming-")
    digest = hashlib.sha256()
    try:
        with os.fdopen(descriptor, "wb") as target:
            for position in range(parts):
                chunk = bind.execute(READ_PART, {"attachment_id": attachment_id,
                                                 "position": position}).scalar_one()
                digest.update(chunk)
                target.write(chunk)
        if digest.hexdigest() != path.name:
            Path(temporary).unlink()
            return False
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True
