"""Issue 11's budget for the invoice PDF (data/documents/invoice_pdf.py): `render_invoice_pdf` of
a 500-line invoice within 2× of plain rendering.

Plain rendering is the same continuation sheet drawn here with bare `cell()` calls and no layout
logic: the same fonts and size, fixed column widths, one bordered cell per figure, fpdf2's own
page breaks, no heading rows, no page 1; then `output()`. Both figures are the process's CPU time
(time.process_time) per document, median of RUNS runs after one warm-up, for the demo's
amount-based electrical invoice (#3, 12 columns) and its unit-based concrete invoice (#2, 17
columns), grown to 80 and 500 lines (originals repeated and renumbered, change orders kept, the
summary recomputed). Prints a table; asserts nothing.

Run: python tests/benchmarks/bench_invoice_pdf.py [--runs 7] [--lines 80,500] [--keep FOLDER]
(--keep writes each rendered PDF there, to look at.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # run as a script: make `data` importable
    sys.path.insert(0, str(_ROOT))

from fpdf import FPDF  # noqa: E402
from sqlmodel import select  # noqa: E402

from data import g703  # noqa: E402
from data.billing import Method, compute_invoice  # noqa: E402
from data.documents.invoice_pdf import render_invoice_pdf  # noqa: E402
from data.documents.pdf_fonts import FONT_FAMILY, FONT_FILES, REGULAR  # noqa: E402
from data.services.invoice_views import InvoiceView, SheetLine  # noqa: E402

TODAY = date(2026, 11, 21)
ELECTRICAL, CONCRETE = ("SC-2417-016", 3), ("SC-2417-031", 2)
PLAIN_SIZE = 7.0  # pt, about what the sheet settles on for 500 lines
PLAIN_ROW = 3.8  # mm
PLAIN_DESCRIPTION = 60.0  # mm; the other columns share the rest of the page evenly


def demo_views() -> dict[str, InvoiceView]:
    """The demo's electrical and concrete invoices, read as pat from a new SQLite database."""
    from data import migrate
    from data.db import make_engine, reading
    from data.demo import build_demo
    from data.models import Commitment, Invoice
    from data.services.actors import actor_for_login
    from data.services.invoice_views import load_invoice

    with tempfile.TemporaryDirectory() as folder:
        os.environ.update(XDG_DATA_HOME=f"{folder}/data", XDG_CONFIG_HOME=f"{folder}/config")
        engine = make_engine(f"sqlite:///{folder}/bench.sqlite")
        migrate.upgrade(engine)
        build_demo(engine, TODAY)
        views = {}
        with reading(engine) as session:
            pat = actor_for_login(session, "pat")
            for label, (number, position) in (("amount", ELECTRICAL), ("unit", CONCRETE)):
                invoice_id = session.exec(
                    select(Invoice.id).join(Commitment)
                    .where(Commitment.number == number, Invoice.position == position)).one()
                assert invoice_id is not None
                views[label] = load_invoice(session, pat, invoice_id)
        engine.dispose()
    return views


def grown(view: InvoiceView, count: int) -> InvoiceView:
    """`view` with `count` lines: its original lines repeated (renumbered 1, 2, ...) and its
    change-order lines after them (26.1 becoming 501.1 if 26 follows the last original line);
    every figure and total recomputed."""
    originals = [line for line in view.lines if not line.section]
    changes = [line for line in view.lines if line.section]
    repeated = [_renumbered(originals[index % len(originals)], str(index + 1))
                for index in range(max(count - len(changes), 0))]
    shift = len(repeated) - len(originals)
    lines = [*repeated, *(_renumbered(line, _shifted(line.result.line.item_no, shift))
                          for line in changes)]
    computed = compute_invoice([line.result.line for line in lines],
                               previous_certificates=view.summary.previous_certificates,
                               rules=view.rules)
    return replace(view, lines=tuple(replace(line, result=result) for line, result
                                     in zip(lines, computed.lines, strict=True)),
                   summary=computed.summary)


def _shifted(item_no: str, shift: int) -> str:
    whole, dot, rest = item_no.partition(".")
    return f"{int(whole) + shift}{dot}{rest}" if whole.isdigit() else item_no


def _renumbered(line: SheetLine, item_no: str) -> SheetLine:
    entered = replace(line.result.line, item_no=item_no)
    return replace(line, result=replace(line.result, line=entered))


def plain_rendering(view: InvoiceView) -> bytes:
    """The continuation sheet with nothing but `cell()`: no measuring, wrapping, clipping,
    repeated headings or page 1."""
    columns = g703.printed_columns(Method.UNIT if view.lines[0].units else Method.AMOUNT)
    pdf = FPDF(orientation="L", unit="mm", format="letter")
    for style, path in FONT_FILES.items():
        pdf.add_font(FONT_FAMILY, style, fname=str(path))
    pdf.set_font(FONT_FAMILY, REGULAR, PLAIN_SIZE)
    pdf.add_page()
    other = (pdf.epw - PLAIN_DESCRIPTION) / (len(columns) - 1)
    widths = [PLAIN_DESCRIPTION if column is g703.DESCRIPTION else other for column in columns]
    aligns = ["R" if column.numeric else "L" for column in columns]
    for line in view.lines:
        for column, width, align in zip(columns, widths, aligns, strict=True):
            pdf.cell(width, PLAIN_ROW, column.line_text(line), border=1, align=align)
        pdf.ln(PLAIN_ROW)
    return bytes(pdf.output())


def cpu_seconds(render: Callable[[InvoiceView], bytes], view: InvoiceView,
                runs: int) -> tuple[float, bytes]:
    """The median CPU time of `render(view)` over `runs` runs after a warm-up, and its output."""
    output = render(view)
    times = []
    for _ in range(runs):
        start = time.process_time()
        output = render(view)
        times.append(time.process_time() - start)
    return statistics.median(times), output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--lines", default="80,500")
    parser.add_argument("--keep", type=Path, help="write the rendered PDFs into this folder")
    args = parser.parse_args(argv)
    views = demo_views()
    print(f"render_invoice_pdf against plain cell() rendering, CPU seconds, median of "
          f"{args.runs} runs, Python {sys.version.split()[0]}")
    print(f"{'invoice':<22}{'pages':>6}{'render':>10}{'plain':>10}{'ratio':>8}")
    for label, view in views.items():
        for count in (int(text) for text in args.lines.split(",")):
            sheet = grown(view, count)
            rendered, document = cpu_seconds(render_invoice_pdf, sheet, args.runs)
            plain, _ = cpu_seconds(plain_rendering, sheet, args.runs)
            pages = document.count(b"/Type /Page\n")
            print(f"{f'{label}, {count} lines':<22}{pages:>6}{rendered:>10.3f}{plain:>10.3f}"
                  f"{rendered / plain:>7.2f}×")
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / f"{label}-{count}.pdf").write_bytes(document)


if __name__ == "__main__":
    main()
