"""Reading a PDF from a user in a limited child process (data.documents.pdf_check): what is
refused, with which of the fixed reasons, and that a decompression bomb is refused quickly.

The PDFs here are written byte by byte, so that a test can hold exactly the damage or the bomb
it is about; `flate_zeros` builds a valid zlib stream of any size from one compressed mebibyte,
so a 1 GiB bomb costs the test about a megabyte and a few milliseconds.
"""

from __future__ import annotations

import io
import signal
import zlib
from pathlib import Path

import pytest
from pypdf import PdfWriter

from data.documents.pdf_check import (
    DAMAGED,
    DEFAULT_MAX_CONTENT_MB,
    NO_PAGES,
    NOT_CHECKED,
    PASSWORD,
    TOO_LONG,
    TOO_MUCH_MEMORY,
    UNSUPPORTED_ENCRYPTION,
    BrokenPdf,
    content_too_big,
    inspect_pdf,
    reasons,
    silent_exit,
    too_many_pages,
)

MEBIBYTE = 1024 * 1024
PYTHON_WORDS = ("NoneType", "object", "Error", "error", "recursion", "Traceback", "Exception",
                "pypdf", ".py")

CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
TRAILER = b"<< /Size %d /Root 1 0 R%s >>"


# --- writing PDFs by hand --------------------------------------------------------------------


def hand_made_pdf(objects: dict[int, bytes], trailer_extra: bytes = b"") -> bytes:
    """A PDF with these numbered objects (1 is the catalog), a cross-reference table that points
    at each of them, and a trailer."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, body in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += (b"%010d 00000 n \n" % offsets[number] if number in offsets
                else b"0000000000 65535 f \n")
    out += b"trailer\n" + TRAILER % (size, trailer_extra)
    out += b"\nstartxref\n%d\n%%%%EOF\n" % start
    return bytes(out)


def stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), entries, data)


def flate(data: bytes, entries: bytes = b"") -> bytes:
    return stream(zlib.compress(data), b"/Filter /FlateDecode " + entries)


def flate_zeros(mebibytes: int) -> bytes:
    """A zlib stream that inflates to `mebibytes` MiB of zero bytes (white space in a content
    stream). One MiB is compressed with a full flush, which resets the compressor, so every
    further MiB compresses to the same block; the Adler-32 of n zero bytes is (n mod 65521)
    << 16 | 1, so the checksum needs no pass over the data."""
    compressor = zlib.compressobj(9)
    zeros = bytes(MEBIBYTE)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()[:-4]  # the final empty block, without the checksum
    size = mebibytes * MEBIBYTE
    return first + block * (mebibytes - 1) + end + ((size % 65521) << 16 | 1).to_bytes(4, "big")


def zeros_stream(mebibytes: int, entries: bytes = b"") -> bytes:
    return stream(flate_zeros(mebibytes), b"/Filter /FlateDecode " + entries)


def page_objects(*pages: bytes, first: int = 3) -> dict[int, bytes]:
    """The catalog, a page tree and these page dictionaries (objects 3, 4, ...)."""
    kids = b" ".join(b"%d 0 R" % (first + i) for i in range(len(pages)))
    objects = {1: CATALOG, 2: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages))}
    objects.update({first + i: page for i, page in enumerate(pages)})
    return objects


def page(entries: bytes) -> bytes:
    return b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] %s >>" % entries


def written(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def refusal(path: Path, **limits: int | float) -> BrokenPdf:
    with pytest.raises(BrokenPdf) as refused:
        inspect_pdf(path, **limits)  # type: ignore[arg-type]
    return refused.value


def assert_readable(message: str) -> None:
    assert not [word for word in PYTHON_WORDS if word in message], message


# --- files with a fault, or made to break the reader -----------------------------------------


def recursion_pdf() -> bytes:
    """Contents nested 5,000 arrays deep: pypdf's parser raises RecursionError."""
    return hand_made_pdf(page_objects(page(b"/Contents 4 0 R"))
                         | {4: b"[" * 5000 + b"]" * 5000})


def reference_loop_pdf() -> bytes:
    """Contents that refer to themselves: pypdf raises AttributeError ("property
    'indirect_reference' of 'IndirectObject' object has no setter")."""
    return hand_made_pdf(page_objects(page(b"/Contents 4 0 R")) | {4: b"4 0 R"})


def password_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def unknown_encryption_pdf() -> bytes:
    return hand_made_pdf(page_objects(page(b"")) | {4: b"<< /Filter /Unknown /V 9 >>"},
                         b" /Encrypt 4 0 R /ID [<00> <00>]")


def bomb_pdf(mebibytes: int) -> bytes:
    return hand_made_pdf(page_objects(page(b"/Contents 4 0 R")) | {4: zeros_stream(mebibytes)})


# --- a bomb is refused quickly, wherever a page draws it from --------------------------------


def test_flate_zeros_is_a_valid_zlib_stream_of_that_size() -> None:
    assert zlib.decompress(flate_zeros(3)) == bytes(3 * MEBIBYTE)
    assert len(flate_zeros(1024)) < 1_100_000  # 1 GiB for about a megabyte


def test_a_one_gibibyte_flate_bomb_in_page_content_is_refused_within_seconds(
        tmp_path: Path) -> None:
    bomb = written(tmp_path, "bomb.pdf", bomb_pdf(1024))
    # Inflating past the cap keeps at most a chunk at a time: holding the output would need
    # more than the child's 512 MB and end as "too much memory", and a slow decoder as "too
    # long"; five seconds is several times what the refusal takes on a loaded machine.
    refused = refusal(bomb, timeout=5.0)
    assert str(refused) == content_too_big(DEFAULT_MAX_CONTENT_MB)
    assert str(refused) == "the PDF's content expands to more than 256 MB"
    assert "inflated past" in refused.detail


def _with_form(form: bytes) -> dict[int, bytes]:
    return page_objects(page(b"/Contents 4 0 R /Resources << /XObject << /X0 5 0 R >> >>")) | {
        4: flate(b"q /X0 Do Q"), 5: form}


FORM = b"/Type /XObject /Subtype /Form /BBox [0 0 612 792]"
BOMBS = {
    "in the second of two content streams": page_objects(page(b"/Contents [4 0 R 5 0 R]")) | {
        4: flate(b"0 0 m 10 10 l S"), 5: zeros_stream(16)},
    "in a form XObject": _with_form(zeros_stream(16, FORM)),
    "in a form inside a form": _with_form(stream(
        b"/X1 Do", FORM + b" /Resources << /XObject << /X1 6 0 R >> >>")) | {
        6: zeros_stream(16, FORM)},
    "in a tiling pattern": page_objects(page(
        b"/Contents 4 0 R /Resources << /Pattern << /P0 5 0 R >> >>")) | {
        4: flate(b"/Pattern cs /P0 scn 0 0 612 792 re f"),
        5: zeros_stream(16, b"/PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 9 9] "
                            b"/XStep 9 /YStep 9 /Resources << >>")},
    "in an annotation's appearance": page_objects(page(b"/Annots [4 0 R]")) | {
        4: b"<< /Type /Annot /Subtype /Square /Rect [0 0 9 9] /AP << /N 5 0 R >> >>",
        5: zeros_stream(16, FORM)},
    "compressed twice": page_objects(page(b"/Contents 4 0 R")) | {
        4: stream(zlib.compress(flate_zeros(64)), b"/Filter [/FlateDecode /FlateDecode]")},
    "behind ASCIIHex": page_objects(page(b"/Contents 4 0 R")) | {
        4: stream(flate_zeros(16).hex().encode() + b">",
                  b"/Filter [/ASCIIHexDecode /FlateDecode]")},
}


@pytest.mark.parametrize("objects", BOMBS.values(), ids=BOMBS.keys())
def test_a_bomb_is_found_wherever_the_page_draws_it_from(tmp_path: Path,
                                                         objects: dict[int, bytes]) -> None:
    path = written(tmp_path, "bomb.pdf", hand_made_pdf(objects))
    assert str(refusal(path, max_content_mb=8)) == content_too_big(8)
    assert inspect_pdf(path, max_content_mb=128).pages == 1  # the same file, a higher cap


def test_content_counts_once_per_stream_and_in_total_over_the_file(tmp_path: Path) -> None:
    shared = page(b"/Contents 6 0 R /Resources << /XObject << /X0 7 0 R >> >>")
    one_form_on_three_pages = page_objects(shared, shared, shared) | {
        6: flate(b"/X0 Do"), 7: zeros_stream(1, FORM)}
    path = written(tmp_path, "shared.pdf", hand_made_pdf(one_form_on_three_pages))
    assert inspect_pdf(path, max_content_mb=2).pages == 3

    three_contents = page_objects(*(page(b"/Contents %d 0 R" % n) for n in (6, 7, 8))) | {
        n: zeros_stream(1) for n in (6, 7, 8)}
    path = written(tmp_path, "three.pdf", hand_made_pdf(three_contents))
    assert str(refusal(path, max_content_mb=2)) == content_too_big(2)


def test_images_are_not_content(tmp_path: Path) -> None:
    image = zeros_stream(16, b"/Type /XObject /Subtype /Image /Width 4096 /Height 4096 "
                             b"/ColorSpace /DeviceGray /BitsPerComponent 8")
    objects = page_objects(page(b"/Contents 4 0 R /Resources << /XObject << /I0 5 0 R >> >>"))
    path = written(tmp_path, "scan.pdf", hand_made_pdf(objects | {
        4: flate(b"q 612 0 0 792 0 0 cm /I0 Do Q"), 5: image}))
    assert inspect_pdf(path, max_content_mb=8).pages == 1


def test_a_damaged_content_stream_counts_what_inflates_before_the_damage(tmp_path: Path) -> None:
    cut = flate_zeros(16)[: 16 * 1024]  # about the first 16 MiB of zeros, then nothing
    path = written(tmp_path, "cut.pdf", hand_made_pdf(page_objects(page(b"/Contents 4 0 R")) | {
        4: stream(cut, b"/Filter /FlateDecode"),
    }))
    assert inspect_pdf(path, max_content_mb=64).pages == 1
    assert str(refusal(path, max_content_mb=8)) == content_too_big(8)


# --- every refusal is one of the fixed sentences ---------------------------------------------


FAULTY = {
    "garbage after the header": (b"%PDF-1.7\n" + b"\x00 garbage \xff" * 200, DAMAGED),
    "cut short": (bomb_pdf(1)[:700], DAMAGED),
    "RecursionError inside pypdf": (recursion_pdf(), DAMAGED),
    "AttributeError inside pypdf": (reference_loop_pdf(), DAMAGED),
    "a password to open": (password_pdf(), PASSWORD),
    "an encryption handler pypdf lacks": (unknown_encryption_pdf(), UNSUPPORTED_ENCRYPTION),
    "no pages": (hand_made_pdf({1: CATALOG, 2: b"<< /Type /Pages /Kids [] /Count 0 >>"}),
                 NO_PAGES),
}


@pytest.mark.parametrize(("content", "reason"), FAULTY.values(), ids=FAULTY.keys())
def test_a_faulty_pdf_is_refused_in_words_and_the_detail_kept_for_the_log(
        tmp_path: Path, content: bytes, reason: str) -> None:
    refused = refusal(written(tmp_path, "faulty.pdf", content))
    assert str(refused) == refused.reason == reason
    assert reason in reasons()
    assert_readable(str(refused))
    assert refused.detail and refused.detail.isprintable()


@pytest.mark.parametrize(("content", "error"), [
    (recursion_pdf(), "RecursionError: maximum recursion depth exceeded"),
    (reference_loop_pdf(), "AttributeError: property 'indirect_reference'"),
], ids=["recursion", "attribute"])
def test_python_internals_go_to_the_detail_only(tmp_path: Path, content: bytes,
                                                error: str) -> None:
    refused = refusal(written(tmp_path, "internal.pdf", content))
    assert str(refused) == DAMAGED
    assert refused.detail.startswith(error)
    assert "pypdf" in refused.detail  # where it was raised


def test_too_many_pages(tmp_path: Path) -> None:
    path = written(tmp_path, "three.pdf", hand_made_pdf(page_objects(*[page(b"")] * 3)))
    assert inspect_pdf(path, max_pages=3).pages == 3
    refused = refusal(path, max_pages=2)
    assert str(refused) == too_many_pages(2) == "the PDF has too many pages (limit 2)"
    assert too_many_pages(2) in reasons(max_pages=2)


def test_limits_end_in_a_readable_refusal_not_a_hang_or_crash(tmp_path: Path) -> None:
    # Reading a 4 MB file needs memory the 1 MB child does not have.
    large = hand_made_pdf(page_objects(page(b"/Contents 4 0 R")) | {4: stream(b" " * 4_000_000)})
    path = written(tmp_path, "large.pdf", large)
    assert inspect_pdf(path).pages == 1
    assert str(refusal(path, memory_mb=1)) == TOO_MUCH_MEMORY
    assert str(refusal(path, timeout=0.001)) == TOO_LONG


def test_a_reader_that_stops_without_answering_is_described_in_words() -> None:
    traceback = b'Traceback (most recent call last):\n  File "x.py"\nTypeError: \'NoneType\'\n'
    cases = {
        (-signal.SIGXCPU, b""): TOO_LONG,
        (-signal.SIGKILL, b""): TOO_MUCH_MEMORY,
        (1, b"MemoryError\n"): TOO_MUCH_MEMORY,
        (-signal.SIGSEGV, b"Fatal Python error: Segmentation fault\n"): DAMAGED,
        (1, traceback): NOT_CHECKED,
    }
    for (returncode, stderr), reason in cases.items():
        refused = silent_exit(returncode, stderr)
        assert str(refused) == reason
        assert_readable(str(refused))
        assert str(returncode) in refused.detail and "\n" not in refused.detail
