"""Merging many PDFs into one (data.documents.pdf_merge): pages in order with their text, a
page in place of each file that cannot be merged, the limits of the child that reads them, the
output cut back when the child dies mid-file, and nothing left behind on cancel or failure.

Good PDFs are made with fpdf2, each page saying "<name> page <n>"; faulty ones are written byte
by byte with the helpers of tests/test_pdf_check.py. Output is read back with pdftotext (one
text per page) and pypdf, and checked with `qpdf --check`.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter
from pypdf.generic import Destination, DictionaryObject, IndirectObject, StreamObject

from data.documents.pdf_check import (
    DAMAGED,
    NO_PAGES,
    PASSWORD,
    TOO_LONG,
    TOO_MUCH_MEMORY,
    UNSUPPORTED_ENCRYPTION,
    content_too_big,
    reasons,
    too_many_pages,
)
from data.documents.pdf_merge import (
    UNREADABLE,
    DestinationNotWritable,
    LeftOut,
    MergeCancelled,
    MergeItem,
    MergeLimits,
    MergeResult,
    Progress,
    merge_pdfs,
)
from tests.test_pdf_check import (
    hand_made_pdf,
    page,
    page_objects,
    password_pdf,
    recursion_pdf,
    stream,
    unknown_encryption_pdf,
    zeros_stream,
)

INVOICE = "Invoice 3 — Acme Framing — commitment SC-001"
OTHER_INVOICE = "Invoice 4 — Bayside Concrete — commitment SC-002"
FAST = MergeLimits(timeout_seconds=1.5)


# --- making PDFs -------------------------------------------------------------------------------


def good_pdf(folder: Path, name: str, pages: int) -> Path:
    """`name` with `pages` pages, page n saying "<name> page <n>"."""
    pdf = FPDF(format="letter")
    pdf.set_font("Helvetica", size=14)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(0, 10, f"{name} page {number}")
    path = folder / name
    pdf.output(str(path))
    return path


def written(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def text_page(words: bytes) -> bytes:
    """A content stream that shows `words` in Helvetica (font /F1 of the page's resources)."""
    return stream(b"BT /F1 14 Tf 20 100 Td (%s) Tj ET" % words)


HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def slow_pdf(first_page_padding: int = 0) -> bytes:
    """Two pages; the second carries, under a key no check reads, ten arrays of 99,999 numbers
    (pypdf's most per array), which take pypdf seconds to parse: the file passes its checks and
    then runs out of time while its second page is being copied. The first page's content is
    stored uncompressed, ending in a marker, with `first_page_padding` bytes before it."""
    resources = b"/Resources << /Font << /F1 5 0 R >> >>"
    arrays = {8 + i: b"[" + b"0 " * 99_999 + b"]" for i in range(10)}
    padding = b"%" + b"x" * first_page_padding + b"\n" if first_page_padding else b""
    return hand_made_pdf(page_objects(
        page(b"/Contents 6 0 R " + resources),
        page(b"/Contents 7 0 R /PieceInfo << /Slow 18 0 R >> " + resources),
        first=3) | {
        5: HELVETICA,
        6: stream(padding + b"BT /F1 14 Tf 72 700 Td (slow.pdf page 1 PARTIAL-MARKER) Tj ET"),
        7: text_page(b"slow.pdf page 2"),
        18: b"[" + b" ".join(b"%d 0 R" % n for n in arrays) + b"]",
    } | arrays)


def run_length_spaces(megabytes: int) -> bytes:
    """RunLength data for `megabytes` MiB of spaces: 2 bytes for every 128."""
    return b"\x81 " * (megabytes * 1024 * 1024 // 128) + b"\x80"


def memory_hungry_pdf() -> bytes:
    """Content that pypdf decodes in memory (RunLength: 70 MB from about 1 MB)."""
    return hand_made_pdf(page_objects(page(b"/Contents 4 0 R")) | {
        4: stream(run_length_spaces(70), b"/Filter /RunLengthDecode")})


def empty_password_pdf(folder: Path) -> Path:
    """An fpdf2 PDF encrypted (AES-128) with an empty user password and an owner password."""
    writer = PdfWriter(clone_from=PdfReader(good_pdf(folder, "open.pdf", 2)))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return written(folder, "open.pdf", out.getvalue())


def bomb_pdf(path: Path) -> Path:
    """One page whose content stream inflates to 1,100 MiB of zeros (past 1 GiB); the file is
    about 1 MB: one compressed mebibyte, flushed so that it repeats (test_pdf_check's
    `flate_zeros`), never the inflated bytes."""
    path.write_bytes(hand_made_pdf(page_objects(page(b"/Contents 4 0 R")) | {
        4: zeros_stream(1100)}))
    return path


def item(path: Path, belongs_to: str = INVOICE, *, title: str | None = None,
         trusted: bool = False, unreadable: str | None = None) -> MergeItem:
    return MergeItem(path, title or path.name, belongs_to, trusted=trusted,
                     unreadable=unreadable)


# --- reading the output ------------------------------------------------------------------------


def tool(name: str) -> str:
    """The path of a program; skipped when missing, except under CI=true."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs {name} (apt-get install qpdf poppler-utils)")
        pytest.skip(f"{name} is not installed (apt-get install qpdf poppler-utils)")
    return found


def page_texts(path: Path) -> list[str]:
    """Each page's text as pdftotext reads it, white space made single spaces."""
    done = subprocess.run([tool("pdftotext"), "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, check=True)
    return [" ".join(text.split()) for text in done.stdout.decode().split("\f")[:-1]]


def assert_sound(path: Path, pages: int) -> None:
    """qpdf finds nothing wrong, and pypdf and pdftotext count `pages` pages."""
    done = subprocess.run([tool("qpdf"), "--check", str(path)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No syntax or stream encoding errors found" in done.stdout
    assert len(PdfReader(path).pages) == len(page_texts(path)) == pages


def assert_left_out_page(text: str, gone: LeftOut) -> None:
    """`text` (one page's) names the file left out, its invoice and the reason."""
    assert text.startswith("A file was left out of this PDF"), text
    for line in (f"File: {gone.title}", f"Part of: {gone.belongs_to}",
                 f"Reason: {gone.reason}"):
        assert line in text, (line, text)


def bookmarks(path: Path) -> list[tuple[object, object, list[tuple[object, object]]]]:
    """The two levels of bookmarks: (title, page index, [(title, page index) under it])."""
    reader = PdfReader(path)
    found: list[tuple[object, object, list[tuple[object, object]]]] = []
    for entry in reader.outline:
        if isinstance(entry, Destination):
            found.append((entry.title, reader.get_destination_page_number(entry), []))
        else:
            found[-1][2].extend((child.title, reader.get_destination_page_number(child))
                                for child in entry if isinstance(child, Destination))
    return found


def dictionary(found: object) -> DictionaryObject:
    resolved = found.get_object() if isinstance(found, IndirectObject) else found
    assert isinstance(resolved, DictionaryObject)
    return resolved


def number_of(reference: object) -> int:
    assert isinstance(reference, IndirectObject)
    return reference.idnum


def files_in(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


def merge_children() -> set[int]:
    """The process ids of this process's children that are merge_pdfs' readers."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"pdf_merge_child" in command:
                found.add(int(pid))
    return found


# --- pages, order, text, bookmarks -------------------------------------------------------------


def test_pages_come_in_order_with_their_text_and_bookmarks(tmp_path: Path) -> None:
    invoice = good_pdf(tmp_path, "invoice-3.pdf", 2)
    first, second = good_pdf(tmp_path, "alpha.pdf", 3), good_pdf(tmp_path, "beta.pdf", 1)
    other = good_pdf(tmp_path, "invoice-4.pdf", 1)
    destination = tmp_path / "out" / "backup.pdf"
    destination.parent.mkdir()
    result = merge_pdfs([item(invoice, title="Invoice 3", trusted=True), item(first),
                         item(second), item(other, OTHER_INVOICE, title="Invoice 4",
                                            trusted=True)], destination)
    assert result == MergeResult(destination, 7, ())
    assert page_texts(destination) == [
        "invoice-3.pdf page 1", "invoice-3.pdf page 2", "alpha.pdf page 1", "alpha.pdf page 2",
        "alpha.pdf page 3", "beta.pdf page 1", "invoice-4.pdf page 1"]
    assert_sound(destination, result.pages)
    assert files_in(destination.parent) == {"backup.pdf"}
    assert destination.stat().st_mode & 0o777 == 0o600

    assert bookmarks(destination) == [
        (INVOICE, 0, [("Invoice 3", 0), ("alpha.pdf", 2), ("beta.pdf", 5)]),
        (OTHER_INVOICE, 6, [("Invoice 4", 6)])]


def test_a_file_left_out_is_replaced_by_a_page_saying_what_of_which_invoice_and_why(
        tmp_path: Path) -> None:
    before, after = good_pdf(tmp_path, "before.pdf", 2), good_pdf(tmp_path, "after.pdf", 1)
    broken = written(tmp_path, "broken.pdf", b"%PDF-1.7\n" + b"\x00 garbage \xff" * 200)
    destination = tmp_path / "backup.pdf"
    result = merge_pdfs([item(before), item(broken), item(after, OTHER_INVOICE)], destination)
    gone = LeftOut("broken.pdf", INVOICE, DAMAGED)
    assert result == MergeResult(destination, 4, (gone,))
    texts = page_texts(destination)
    assert texts[:2] == ["before.pdf page 1", "before.pdf page 2"]
    assert_left_out_page(texts[2], gone)
    assert texts[3] == "after.pdf page 1"
    assert_sound(destination, result.pages)
    assert [[title for title, _page in under] for _title, _page, under in
            bookmarks(destination)] == [["before.pdf", "broken.pdf (left out)"], ["after.pdf"]]


def faulty_files(folder: Path) -> list[tuple[Path, str]]:
    """Files that cannot be merged under FAULTY_LIMITS, with the reason each gets."""
    five_pages = good_pdf(folder, "five-pages.pdf", 5)
    cut_short = written(folder, "cut-short.pdf", five_pages.read_bytes()[:900])
    return [
        (written(folder, "garbage.pdf", b"%PDF-1.7\n" + b"\x00 garbage \xff" * 200), DAMAGED),
        (cut_short, DAMAGED),
        (written(folder, "empty.pdf", b""), DAMAGED),
        (written(folder, "deep.pdf", recursion_pdf()), DAMAGED),
        (written(folder, "locked.pdf", password_pdf()), PASSWORD),
        (written(folder, "unknown-lock.pdf", unknown_encryption_pdf()), UNSUPPORTED_ENCRYPTION),
        (written(folder, "no-pages.pdf", hand_made_pdf(page_objects())), NO_PAGES),
        (five_pages, too_many_pages(3)),
        (bomb_pdf(folder / "bomb.pdf"), content_too_big(64)),
        (folder / "missing.pdf", UNREADABLE),
    ]


FAULTY_LIMITS = MergeLimits(max_pages=3, max_content_mb=64)


def test_every_kind_of_faulty_file_is_left_out_and_the_batch_goes_on(tmp_path: Path) -> None:
    faulty = faulty_files(tmp_path)
    good = [good_pdf(tmp_path, f"good-{n}.pdf", 1) for n in range(len(faulty) + 1)]
    items = [item(good[0])]
    for (path, _reason), after in zip(faulty, good[1:], strict=True):
        items += [item(path), item(after)]
    destination = tmp_path / "backup.pdf"
    result = merge_pdfs(items, destination, limits=FAULTY_LIMITS)
    expected = tuple(LeftOut(path.name, INVOICE, reason) for path, reason in faulty)
    assert result.left_out == expected
    texts = page_texts(destination)
    assert result.pages == len(texts) == 2 * len(faulty) + 1
    assert texts[0::2] == [f"good-{n}.pdf page 1" for n in range(len(good))]
    for text, gone in zip(texts[1::2], expected, strict=True):
        assert_left_out_page(text, gone)
        assert gone.reason in reasons(max_pages=3, max_content_mb=64) | {UNREADABLE}
    assert_sound(destination, result.pages)


def test_trusted_files_skip_the_checks_but_not_the_reader(tmp_path: Path) -> None:
    long_invoice = good_pdf(tmp_path, "invoice.pdf", 5)
    broken = written(tmp_path, "broken-invoice.pdf", b"%PDF-1.7\n" + b"\x00" * 300)
    destination = tmp_path / "backup.pdf"
    result = merge_pdfs([item(long_invoice, trusted=True), item(broken, trusted=True)],
                        destination, limits=FAULTY_LIMITS)
    assert result == MergeResult(destination, 6, (LeftOut("broken-invoice.pdf", INVOICE,
                                                          DAMAGED),))


def test_a_one_gibibyte_flate_bomb_is_refused_quickly_in_little_memory(tmp_path: Path) -> None:
    bomb = bomb_pdf(tmp_path / "bomb.pdf")
    assert bomb.stat().st_size < 1_200_000
    start = time.monotonic()
    # 160 MB of address space: inflating the bomb whole would end in "too much memory".
    result = merge_pdfs([item(bomb)], tmp_path / "backup.pdf",
                        limits=MergeLimits(memory_mb=160, timeout_seconds=10))
    assert time.monotonic() - start < 8
    assert result.left_out == (LeftOut("bomb.pdf", INVOICE, content_too_big(256)),)
    assert result.pages == 1


def test_encrypted_with_the_empty_password_is_merged_in_the_clear(tmp_path: Path) -> None:
    destination = tmp_path / "backup.pdf"
    result = merge_pdfs([item(empty_password_pdf(tmp_path))], destination)
    assert result == MergeResult(destination, 2, ())
    assert page_texts(destination) == ["open.pdf page 1", "open.pdf page 2"]
    assert not PdfReader(destination).is_encrypted
    assert_sound(destination, result.pages)


def test_an_item_known_to_be_unreadable_is_left_out_unopened(tmp_path: Path) -> None:
    destination = tmp_path / "backup.pdf"
    result = merge_pdfs([item(tmp_path / "gone.pdf", unreadable="the stored copy is missing")],
                        destination)
    gone = LeftOut("gone.pdf", INVOICE, "the stored copy is missing")
    assert result.left_out == (gone,)
    assert_left_out_page(page_texts(destination)[0], gone)


def test_long_and_odd_names_fit_on_the_left_out_page(tmp_path: Path) -> None:
    title = "report \x1b[31m“final” ’’ " + "x" * 500 + ".pdf"
    result = merge_pdfs([item(tmp_path / "gone.pdf", title=title, unreadable="gone")],
                        tmp_path / "backup.pdf")
    assert result.pages == 1
    text = page_texts(tmp_path / "backup.pdf")[0]
    assert "File: report [31m“final” ’’ xxx" in text
    assert "…" in text and "\x1b" not in text


# --- the source's structure --------------------------------------------------------------------


def inherited_pdf() -> bytes:
    """Two pages under an inner page tree node; the root holds MediaBox, Rotate and Resources
    for both, the inner node a CropBox, the second page its own MediaBox. A link on the first
    page goes to the second."""
    return hand_made_pdf({
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [8 0 R] /Count 2 /MediaBox [0 0 300 400] /Rotate 90 "
           b"/Resources << /Font << /F1 7 0 R >> >> >>",
        8: b"<< /Type /Pages /Parent 2 0 R /Kids [3 0 R 4 0 R] /Count 2 "
           b"/CropBox [0 0 300 300] >>",
        3: b"<< /Type /Page /Parent 8 0 R /Contents 5 0 R /Annots [9 0 R] >>",
        4: b"<< /Type /Page /Parent 8 0 R /Contents 6 0 R /MediaBox [0 0 500 500] >>",
        5: text_page(b"first hand page"),
        6: text_page(b"second hand page"),
        7: HELVETICA,
        9: b"<< /Type /Annot /Subtype /Link /Rect [0 0 50 50] /Dest [4 0 R /Fit] /P 3 0 R >>",
    })


def test_pages_inherit_from_their_source_tree_and_links_stay_inside_the_file(
        tmp_path: Path) -> None:
    source = written(tmp_path, "inherited.pdf", inherited_pdf())
    destination = tmp_path / "backup.pdf"
    result = merge_pdfs([item(good_pdf(tmp_path, "first.pdf", 1)), item(source)], destination)
    assert result.pages == 3 and not result.left_out
    assert page_texts(destination)[1:] == ["first hand page", "second hand page"]
    assert_sound(destination, result.pages)

    reader = PdfReader(destination)
    first, second = reader.pages[1], reader.pages[2]
    assert list(first.mediabox) == [0, 0, 300, 400] and list(first.cropbox) == [0, 0, 300, 300]
    assert list(second.mediabox) == [0, 0, 500, 500]
    assert first.rotation == second.rotation == 90
    link = dictionary(dictionary(first)["/Annots"][0])  # type: ignore[index]
    assert number_of(link["/Dest"][0]) == number_of(second.indirect_reference)  # type: ignore[index]
    assert number_of(link.raw_get("/P")) == number_of(first.indirect_reference)
    tree_root = number_of(dictionary(reader.trailer["/Root"]).raw_get("/Pages"))
    assert {number_of(page.raw_get("/Parent")) for page in reader.pages} == {tree_root}
    assert destination.read_bytes().count(b"/Type /Pages") == 1  # no source tree came along


def test_a_page_tree_that_loops_is_walked_once(tmp_path: Path) -> None:
    looping = hand_made_pdf({
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R 2 0 R 3 0 R] /Count 3 /MediaBox [0 0 612 792] "
           b"/Resources << /Font << /F1 5 0 R >> >> >>",
        3: b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
        4: text_page(b"the only page"),
        5: HELVETICA,
    })
    destination = tmp_path / "backup.pdf"
    result = merge_pdfs([item(written(tmp_path, "loop.pdf", looping))], destination)
    assert (result.pages, result.left_out) == (1, ())
    assert page_texts(destination) == ["the only page"]


def test_streams_are_copied_as_stored_never_decoded(tmp_path: Path) -> None:
    path = good_pdf(tmp_path, "compressed.pdf", 1)
    contents = PdfReader(path).pages[0]["/Contents"]
    assert isinstance(contents, StreamObject)
    stored = contents._data
    assert len(stored) > 20
    destination = tmp_path / "backup.pdf"
    merge_pdfs([item(path)], destination)
    assert stored in destination.read_bytes()


# --- the child's limits, deaths and timeouts ---------------------------------------------------


def test_a_file_that_exhausts_the_childs_memory_is_left_out_and_a_new_child_goes_on(
        tmp_path: Path) -> None:
    hungry = written(tmp_path, "hungry.pdf", memory_hungry_pdf())
    before, after = good_pdf(tmp_path, "before.pdf", 1), good_pdf(tmp_path, "after.pdf", 2)
    destination = tmp_path / "backup.pdf"
    result = merge_pdfs([item(before), item(hungry), item(after)], destination,
                        limits=MergeLimits(memory_mb=128, timeout_seconds=20))
    gone = LeftOut("hungry.pdf", INVOICE, TOO_MUCH_MEMORY)
    assert result.left_out == (gone,)
    texts = page_texts(destination)
    assert texts[0] == "before.pdf page 1" and texts[2:] == ["after.pdf page 1",
                                                             "after.pdf page 2"]
    assert_left_out_page(texts[1], gone)
    assert_sound(destination, result.pages)
    # the same file fits the default limits: the memory limit was the reason
    assert merge_pdfs([item(hungry)], tmp_path / "again.pdf").left_out == ()


def test_a_file_slower_than_its_timeout_is_killed_and_left_out(tmp_path: Path) -> None:
    slow = written(tmp_path, "slow.pdf", slow_pdf())
    after = good_pdf(tmp_path, "after.pdf", 1)
    destination = tmp_path / "backup.pdf"
    start = time.monotonic()
    result = merge_pdfs([item(slow), item(after)], destination, limits=FAST)
    assert time.monotonic() - start < 6  # parsing it whole takes pypdf about 6 s here
    assert result.left_out == (LeftOut("slow.pdf", INVOICE, TOO_LONG),)
    assert page_texts(destination)[1] == "after.pdf page 1"
    assert_sound(destination, result.pages)


def test_a_child_killed_mid_file_loses_nothing_of_the_earlier_files(tmp_path: Path) -> None:
    earlier = [good_pdf(tmp_path, f"earlier-{n}.pdf", 2) for n in range(3)]
    # the slow file's first page is 200 kB, more than the page that takes its place: left
    # uncut, its bytes would still be in the output
    slow = written(tmp_path, "slow.pdf", slow_pdf(first_page_padding=200_000))
    after = good_pdf(tmp_path, "after.pdf", 1)
    destination = tmp_path / "backup.pdf"
    seen_partial = []

    def watch() -> bool:  # asked every 50 ms while a file is read: look at the output so far
        for part in tmp_path.glob(".backup.pdf.*.part"):
            seen_partial.append(b"PARTIAL-MARKER" in part.read_bytes())
        return False

    result = merge_pdfs([*map(item, earlier), item(slow), item(after)], destination,
                        cancelled=watch, limits=FAST)
    assert any(seen_partial), "the slow file's first page was never written before the kill"
    assert result.left_out == (LeftOut("slow.pdf", INVOICE, TOO_LONG),)
    texts = page_texts(destination)
    assert texts[:6] == [f"earlier-{n}.pdf page {p}" for n in range(3) for p in (1, 2)]
    assert texts[6].startswith("A file was left out") and texts[7] == "after.pdf page 1"
    assert b"PARTIAL-MARKER" not in destination.read_bytes()
    assert_sound(destination, result.pages)


def test_a_child_that_died_between_files_is_replaced_without_blaming_the_next(
        tmp_path: Path) -> None:
    files = [good_pdf(tmp_path, f"file-{n}.pdf", 1) for n in range(3)]
    killed: list[int] = []

    def kill_the_child(progress: Progress) -> None:
        if progress.items_done == 1:
            for pid in merge_children():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                while Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z":
                    time.sleep(0.01)  # dead, its pipes closed, not yet reaped

    destination = tmp_path / "backup.pdf"
    result = merge_pdfs(map(item, files), destination, on_progress=kill_the_child)
    assert killed and result == MergeResult(destination, 3, ())
    assert page_texts(destination) == [f"file-{n}.pdf page 1" for n in range(3)]


# --- progress, lazy items, cancel, failures ----------------------------------------------------


def test_progress_is_given_once_per_item(tmp_path: Path) -> None:
    files = [good_pdf(tmp_path, f"file-{n}.pdf", n + 1) for n in range(3)]
    broken = written(tmp_path, "broken.pdf", b"not a pdf")
    items = [item(files[0]), item(broken), item(files[1]), item(files[2])]
    seen: list[Progress] = []
    merge_pdfs(items, tmp_path / "a.pdf", on_progress=seen.append)
    assert seen == [Progress(1, 4, 1), Progress(2, 4, 2), Progress(3, 4, 4), Progress(4, 4, 7)]

    seen.clear()  # one by one, without a total: the count so far
    merge_pdfs(iter(items), tmp_path / "b.pdf", on_progress=seen.append)
    assert [(p.items_done, p.items_total) for p in seen] == [(1, 1), (2, 2), (3, 3), (4, 4)]

    seen.clear()  # one by one, with the total the caller knows
    merge_pdfs(iter(items), tmp_path / "c.pdf", on_progress=seen.append, items_total=4)
    assert [(p.items_done, p.items_total) for p in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_lazy_items_are_taken_one_at_a_time_and_each_may_go_once_the_next_is_asked(
        tmp_path: Path) -> None:
    made: list[Path] = []
    taken: list[int] = []

    def items() -> Iterator[MergeItem]:
        for n in range(4):
            if made:
                made[-1].unlink()  # done with once the next one is asked for
            made.append(good_pdf(tmp_path, f"made-{n}.pdf", 2))
            taken.append(n)
            yield item(made[-1])

    progress: list[tuple[int, list[int]]] = []
    destination = tmp_path / "backup.pdf"
    result = merge_pdfs(items(), destination,
                        on_progress=lambda p: progress.append((p.items_done, list(taken))))
    assert result.pages == 8 and not result.left_out
    assert progress == [(1, [0]), (2, [0, 1]), (3, [0, 1, 2]), (4, [0, 1, 2, 3])]
    assert page_texts(destination) == [f"made-{n}.pdf page {p}" for n in range(4)
                                       for p in (1, 2)]


def test_cancel_between_items_leaves_no_file_and_no_child(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    files = [good_pdf(sources, f"file-{n}.pdf", 3) for n in range(5)]
    out = tmp_path / "out"
    out.mkdir()
    done: list[Progress] = []
    assert not merge_children()
    with pytest.raises(MergeCancelled):
        merge_pdfs(map(item, files), out / "backup.pdf", on_progress=done.append,
                   cancelled=lambda: len(done) >= 2)
    assert len(done) == 2
    assert files_in(out) == set()
    assert not merge_children()


def test_cancel_during_a_slow_file_stops_at_once(tmp_path: Path) -> None:
    slow = written(tmp_path, "slow.pdf", slow_pdf())
    started: list[float] = []

    def cancelled() -> bool:
        started.append(time.monotonic())
        return started[-1] - started[0] > 0.5

    assert not merge_children()
    with pytest.raises(MergeCancelled):
        merge_pdfs([item(good_pdf(tmp_path, "first.pdf", 1)), item(slow)],
                   tmp_path / "backup.pdf", cancelled=cancelled,
                   limits=MergeLimits(timeout_seconds=30))
    assert time.monotonic() - started[0] < 2.5
    assert files_in(tmp_path) == {"slow.pdf", "first.pdf"}
    assert not merge_children()


def test_an_error_from_the_items_removes_the_partial_output(tmp_path: Path) -> None:
    first = good_pdf(tmp_path, "first.pdf", 1)

    def items() -> Iterator[MergeItem]:
        yield item(first)
        raise RuntimeError("the invoice could not be rendered")

    with pytest.raises(RuntimeError, match="could not be rendered"):
        merge_pdfs(items(), tmp_path / "backup.pdf")
    assert files_in(tmp_path) == {"first.pdf"}


def test_the_destination_folder_must_be_writable(tmp_path: Path) -> None:
    source = good_pdf(tmp_path, "a.pdf", 1)
    not_a_folder = written(tmp_path, "file", b"")
    for destination in (tmp_path / "missing" / "backup.pdf", not_a_folder / "backup.pdf",
                        tmp_path):
        with pytest.raises(DestinationNotWritable, match=r"payapp cannot write|is a folder"):
            merge_pdfs([item(source)], destination)
    assert files_in(tmp_path) == {"a.pdf", "file"}


def test_nothing_to_merge_is_an_error_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nothing to merge"):
        merge_pdfs([], tmp_path / "backup.pdf")
    assert files_in(tmp_path) == set()


def test_an_existing_destination_is_replaced_only_when_complete(tmp_path: Path) -> None:
    destination = written(tmp_path, "backup.pdf", b"the earlier backup")
    with pytest.raises(MergeCancelled):
        merge_pdfs([item(good_pdf(tmp_path, "a.pdf", 1))], destination, cancelled=lambda: True)
    assert destination.read_bytes() == b"the earlier backup"
    merge_pdfs([item(tmp_path / "a.pdf")], destination)
    assert page_texts(destination) == ["a.pdf page 1"]
