"""Invoice backups: merge_pdfs beside `qpdf --empty --pages ... -- out.pdf` on the same files.

Each invoice is one small invoice PDF (2 landscape pages in the embedded DejaVu font, as payapp
prints them) and three 5-page attachments (text, rules and a small picture on the first page),
made once with fpdf2 into a temporary folder: every attachment distinct, the invoices copies of
ten distinct ones (each under its own name: qpdf and merge_pdfs read every file anew). The
batch is merged at 100 and at 200 invoices: wall time, and peak resident memory of everything
that ran (for merge_pdfs the calling process plus its limited child, for qpdf its one process).
Each merge runs in a fresh interpreter so that one run's memory does not count in the next.
Budget (issue 11): at most 2× qpdf's wall time, peak memory under 300 MB, and memory that does
not grow with the count.

Run: python tests/benchmarks/bench_pdf_merge.py [--runs 3] [--counts 100 200]
(prints figures; asserts nothing)
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # run as a script: make `data` importable
    sys.path.insert(0, str(_ROOT))

from fpdf import FPDF  # noqa: E402

from data.documents.pdf_fonts import BOLD, FONT_FAMILY, FONT_FILES, REGULAR  # noqa: E402

ATTACHMENTS_PER_INVOICE = 3
ATTACHMENT_PAGES = 5
DISTINCT_INVOICES = 10
TIME_BUDGET = 2.0  # merge_pdfs at most this many times qpdf's wall time
MEMORY_BUDGET_MB = 300

# Runs in a fresh interpreter: merge the files listed in argv[1] (JSON) into argv[2], then
# print wall time and the peak RSS of this process and of its (reaped) child, in kB. This
# process's own peak is VmHWM: getrusage's ru_maxrss survives exec, so it would report the
# benchmark's own memory. The child's is ru_maxrss of RUSAGE_CHILDREN: an upper bound, as it
# starts from this process's memory at the time it was spawned.
_MERGE = """
import json, resource, sys, time
from pathlib import Path
from data.documents.pdf_merge import MergeItem, merge_pdfs

def high_water_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

listed = json.loads(Path(sys.argv[1]).read_text())
items = (MergeItem(Path(path), title, caption, trusted=trusted)
         for path, title, caption, trusted in listed)
start = time.perf_counter()
result = merge_pdfs(items, Path(sys.argv[2]))
wall = time.perf_counter() - start
print(json.dumps({"wall": wall, "pages": result.pages, "left_out": len(result.left_out),
                  "parent_kb": high_water_kb(),
                  "child_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


@dataclass(frozen=True)
class Run:
    wall: float
    peak_mb: float  # merge_pdfs: the caller's peak plus the child's (they run side by side)
    detail: str


def invoice_pdf(number: int, rng: random.Random) -> bytes:
    """A small invoice: a summary page and a continuation sheet of 25 lines, in DejaVu."""
    pdf = FPDF(orientation="landscape", format="letter")
    for style, font_file in FONT_FILES.items():
        pdf.add_font(FONT_FAMILY, style, str(font_file))
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, BOLD, 16)
    pdf.cell(0, 10, f"Application for payment — invoice {number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, REGULAR, 10)
    for line in range(1, 10):
        pdf.cell(120, 7, f"{line}. Line of the summary")
        pdf.cell(0, 7, f"${rng.randint(1_000, 9_999_999) / 100:,.2f}", new_x="LMARGIN",
                 new_y="NEXT")
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, REGULAR, 8)
    with pdf.table(col_widths=(12, 90, 30, 30, 30, 30)) as table:
        table.row(("Item", "Description of work", "Scheduled", "Previous", "This period",
                   "Balance"))
        for line in range(1, 26):
            table.row((str(line), f"Work item {line} — “concrete” ’ forms €",
                       *(f"{rng.randint(100, 999_999) / 100:,.2f}" for _ in range(4))))
    return bytes(pdf.output())


def attachment_pdf(name: str, picture: Path, rng: random.Random) -> bytes:
    """Five pages of someone's backup: text and rules, a picture on the first page."""
    pdf = FPDF(format="letter")
    pdf.set_font("Helvetica", size=11)
    for page in range(1, ATTACHMENT_PAGES + 1):
        pdf.add_page()
        pdf.cell(0, 10, f"{name} page {page}", new_x="LMARGIN", new_y="NEXT")
        if page == 1:
            pdf.image(str(picture), x=20, y=30, w=60)
            pdf.set_y(100)
        for _ in range(20):
            pdf.cell(0, 6, f"Delivery ticket {rng.randint(10_000, 99_999)}: "
                           f"{rng.randint(1, 40)} yd concrete, pump truck, {rng.random():.4f}",
                     new_x="LMARGIN", new_y="NEXT")
        pdf.line(20, 270, 190, 270)
    return bytes(pdf.output())


def picture(folder: Path) -> Path:
    from PIL import Image

    path = folder / "picture.png"
    Image.radial_gradient("L").convert("RGB").save(path)
    return path


def make_corpus(folder: Path, invoices: int) -> list[tuple[str, str, str, bool]]:
    """The files of `invoices` invoices, in merge order: (path, title, caption, trusted)."""
    rng, image, listed = random.Random(11), picture(folder), []
    # Rendering an invoice takes fpdf2 about half a second (the font, the table): a few are
    # made and each invoice gets a copy under its own name. Attachments are all made.
    models = [invoice_pdf(number, rng) for number in range(1, DISTINCT_INVOICES + 1)]
    for number in range(1, invoices + 1):
        caption = f"Invoice {number} — Company {number % 17} — commitment SC-{number:03d}"
        own = folder / f"invoice-{number}.pdf"
        own.write_bytes(models[number % DISTINCT_INVOICES])
        listed.append((str(own), f"Invoice {number}", caption, True))
        for attached in range(1, ATTACHMENTS_PER_INVOICE + 1):
            name = f"backup-{number}-{attached}.pdf"
            path = folder / name
            path.write_bytes(attachment_pdf(name, image, rng))
            listed.append((str(path), name, caption, False))
    return listed


def merge_run(listed: list[tuple[str, str, str, bool]], folder: Path) -> Run:
    listing = folder / "listing.json"
    listing.write_text(json.dumps(listed))
    done = subprocess.run([sys.executable, "-c", _MERGE, str(listing), str(folder / "out.pdf")],
                          capture_output=True, text=True, check=True, cwd=_ROOT)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    parent, child = figures["parent_kb"] / 1024, figures["child_kb"] / 1024
    return Run(figures["wall"], parent + child,
               f"parent {parent:5.1f} MB + child {child:5.1f} MB, {figures['pages']} pages, "
               f"{figures['left_out']} left out")


def qpdf_run(listed: list[tuple[str, str, str, bool]], folder: Path) -> Run:
    command = ["/usr/bin/time", "-v", "qpdf", "--empty", "--pages",
               *(path for path, *_ in listed), "--", str(folder / "qpdf.pdf")]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    peak_kb = next(int(line.split(":")[1]) for line in done.stderr.splitlines()
                   if "Maximum resident set size" in line)
    return Run(wall, peak_kb / 1024, "")


def pages_of(path: Path) -> int:
    done = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return next(int(line.split()[1]) for line in done.stdout.splitlines()
                if line.startswith("Pages:"))


def compare(listed: list[tuple[str, str, str, bool]], folder: Path, runs: int) -> None:
    merged: list[Run] = []
    qpdf: list[Run] = []
    for _ in range(runs):  # alternately, so that a busy moment of the machine hits both
        merged.append(merge_run(listed, folder))
        qpdf.append(qpdf_run(listed, folder))
    merge_wall = statistics.median(run.wall for run in merged)
    qpdf_wall = statistics.median(run.wall for run in qpdf)
    merge_peak = max(run.peak_mb for run in merged)
    qpdf_peak = max(run.peak_mb for run in qpdf)
    invoices = len(listed) // (1 + ATTACHMENTS_PER_INVOICE)
    out, theirs = folder / "out.pdf", folder / "qpdf.pdf"
    print(f"{invoices} invoices, {len(listed)} files, {pages_of(out)} pages "
          f"(qpdf: {pages_of(theirs)}); output {out.stat().st_size / 1e6:.1f} MB "
          f"(qpdf: {theirs.stat().st_size / 1e6:.1f} MB)")
    print(f"  merge_pdfs  median {merge_wall * 1000:7.0f} ms   peak {merge_peak:6.1f} MB   "
          f"({merged[-1].detail})")
    print(f"  qpdf        median {qpdf_wall * 1000:7.0f} ms   peak {qpdf_peak:6.1f} MB")
    ratio = merge_wall / qpdf_wall
    print(f"  merge_pdfs ÷ qpdf: {ratio:.2f}× wall (budget ≤ {TIME_BUDGET}×: "
          f"{'holds' if ratio <= TIME_BUDGET else 'MISSED'}); peak memory budget "
          f"< {MEMORY_BUDGET_MB} MB: {'holds' if merge_peak < MEMORY_BUDGET_MB else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--counts", type=int, nargs="+", default=[100, 200])
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pdf-merge-") as name:
        folder = Path(name)
        start = time.perf_counter()
        listed = make_corpus(folder, max(arguments.counts))
        print(f"made {len(listed)} PDFs in {time.perf_counter() - start:.1f} s")
        for count in arguments.counts:
            compare(listed[: count * (1 + ATTACHMENTS_PER_INVOICE)], folder, arguments.runs)


if __name__ == "__main__":
    main()
