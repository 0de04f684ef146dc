"""An invoice backup end to end (issue 11's benchmark): N invoices, each with three 5-page PDF
attachments, compiled by `compile_backup` from a real SQLite database (each invoice's PDF
rendered, each attachment streamed out of the database, everything merged by the limited
child), beside `qpdf --empty --pages ... -- out.pdf` merging the same PDFs from disk.

The demo's five invoices stand for the N invoices (each appears N/5 times in the plan, as a
backup of many months would show the same commitments again); the attachments are all
distinct, 3 × N of them, stored straight into the database (an upload's PDF check is not what
is measured here). Each side runs in a fresh interpreter so that memory is its own: wall time,
and peak resident memory of the process and of its children.
Budget: at most 2× qpdf's time; peak memory under 300 MB and not growing with N.

Two cases: every invoice drawn (as a first backup of N distinct invoices is), and every
invoice drawn before (its PDF taken from the person's rendered invoices, as in a backup that
repeats earlier ones).

Run: python tests/benchmarks/bench_backup.py [--invoices 100 200]   (prints; asserts nothing)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from fpdf import FPDF  # noqa: E402
from sqlmodel import select  # noqa: E402

from data import migrate  # noqa: E402
from data.db import make_engine, reading, writing  # noqa: E402
from data.demo import build_demo  # noqa: E402
from data.models import AppUser, Attachment, AttachmentChunk, AttachmentPart, Invoice  # noqa: E402

PAGES = 5
PER_INVOICE = 3

# In a fresh interpreter: compile the backup of argv[2] (JSON plan) from the database argv[1]
# into argv[3], taking invoice PDFs from the rendered-invoices folder argv[4] if given (else
# drawing each); print seconds and peak memory (own VmHWM, children's ru_maxrss) in kB.
_COMPILE = """
import json, resource, sys, time
from datetime import datetime
from pathlib import Path
from data.db import make_engine, reading
from data.documents.invoice_backups import BackupInvoice, BackupPlan, compile_backup
from data.documents.rendered_invoices import RenderedInvoices
from data.services.actors import actor_for_login
from data.services.attachments import list_attachments

engine = make_engine(sys.argv[1])
wanted = json.loads(Path(sys.argv[2]).read_text())
started = time.perf_counter()
with reading(engine) as session:
    actor = actor_for_login(session, "pat")
    rows = {}
    for invoice_id in {i for i, _ in wanted}:
        rows.update({r.id: r for r in list_attachments(session, actor, invoice_id)})
plan = BackupPlan("2417", "Mission Bay Medical Office Building", "general_contractor", tuple(
    BackupInvoice(i, "SC", n, "Co", f"Invoice {n}", tuple(rows[a] for a in files), ())
    for n, (i, files) in enumerate(wanted, start=1)))
rendered = RenderedInvoices(Path(sys.argv[4])) if len(sys.argv) > 4 else None
result = compile_backup(lambda: reading(engine), actor, plan, Path(sys.argv[3]),
                        now=datetime.now(), rendered=rendered)
seconds = time.perf_counter() - started
with open("/proc/self/status") as status:
    own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": seconds, "own_kb": own, "child_kb": child, "pages": result.pages,
                  "left_out": len(result.left_out)}))
"""

_QPDF = """
import json, resource, subprocess, sys, time
files = json.load(open(sys.argv[1]))
started = time.perf_counter()
subprocess.run(["qpdf", "--empty", "--pages", *files, "--", sys.argv[2]], check=True)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds,
                  "child_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def _attachment(number: int) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for page in range(1, PAGES + 1):
        pdf.add_page()
        for line in range(30):
            pdf.cell(0, 7, f"Attachment {number}, page {page}, line {line}: delivery ticket",
                     new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _store(engine: object, count: int, folder: Path) -> dict[int, list[tuple[int, Path]]]:
    """`count` distinct attachments spread over the demo's invoices, also written to disk."""
    by_invoice: dict[int, list[tuple[int, Path]]] = {}
    with writing(engine) as session:  # type: ignore[arg-type]
        pat = session.exec(select(AppUser.id).where(AppUser.login == "pat")).one()
        invoices = [i.id or 0 for i in session.exec(select(Invoice)).all()]
        for number in range(count):
            content = _attachment(number)
            key = hashlib.sha256(content).hexdigest()
            invoice_id = sorted(invoices)[number % len(invoices)]
            row = Attachment(invoice_id=invoice_id, sha256=key, original_name=f"a{number}.pdf",
                             size_bytes=len(content), page_count=PAGES,
                             content_type="application/pdf", uploaded_by_id=pat or 0)
            session.add(row)
            session.flush()
            session.add(AttachmentChunk(sha256=key, data=content))
            session.flush()
            session.add(AttachmentPart(attachment_id=row.id or 0, position=0, chunk_sha256=key))
            path = folder / f"a{number}.pdf"
            path.write_bytes(content)
            by_invoice.setdefault(invoice_id, []).append((row.id or 0, path))
    return by_invoice


def _invoice_pdfs(engine: object, folder: Path) -> dict[int, Path]:
    from data.documents.invoice_pdf import render_invoice_pdf
    from data.services.actors import actor_for_login
    from data.services.invoice_views import load_invoice

    made = {}
    with reading(engine) as session:  # type: ignore[arg-type]
        actor = actor_for_login(session, "pat")
        for invoice in session.exec(select(Invoice)).all():
            assert invoice.id is not None
            path = folder / f"invoice-{invoice.id}.pdf"
            path.write_bytes(render_invoice_pdf(load_invoice(session, actor, invoice.id)))
            made[invoice.id] = path
    return made


def _run(script: str, *args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                          text=True, check=True, cwd=_ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def measure(invoices: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        url = f"sqlite:///{folder / 'bench.sqlite'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        build_demo(engine, date.today())
        files = _store(engine, invoices * PER_INVOICE, folder)
        own_pdfs = _invoice_pdfs(engine, folder)
        engine.dispose()
        plan, disk = [], []
        cursor = {invoice_id: 0 for invoice_id in files}
        ids = sorted(files)
        for n in range(invoices):
            invoice_id = ids[n % len(ids)]
            taken = files[invoice_id][cursor[invoice_id]:cursor[invoice_id] + PER_INVOICE]
            cursor[invoice_id] += PER_INVOICE
            plan.append((invoice_id, [a for a, _ in taken]))
            disk += [str(own_pdfs[invoice_id]), *(str(p) for _, p in taken)]
        (folder / "plan.json").write_text(json.dumps(plan))
        (folder / "files.json").write_text(json.dumps(disk))
        plan_file, kept = str(folder / "plan.json"), str(folder / "rendered")
        drawn = _run(_COMPILE, url, plan_file, str(folder / "drawn.pdf"))
        _run(_COMPILE, url, plan_file, str(folder / "first.pdf"), kept)  # fills the folder
        warm = _run(_COMPILE, url, plan_file, str(folder / "warm.pdf"), kept)
        qpdf = _run(_QPDF, str(folder / "files.json"), str(folder / "qpdf.pdf"))
    print(f"{invoices} invoices ({len(disk)} files, {int(drawn['pages'])} pages), "
          f"qpdf {qpdf['seconds']:.2f} s, {qpdf['child_kb'] / 1024:.0f} MB:")
    _report("every invoice drawn", drawn, qpdf)
    _report("every invoice drawn before", warm, qpdf)


def _report(case: str, ours: dict[str, float], qpdf: dict[str, float]) -> None:
    peak = max(ours["own_kb"], ours["child_kb"]) / 1024
    print(f"  {case}: compile_backup {ours['seconds']:.2f} s "
          f"({ours['seconds'] / qpdf['seconds']:.2f}x qpdf); peak memory {peak:.0f} MB "
          f"(own {ours['own_kb'] / 1024:.0f} MB, merge child {ours['child_kb'] / 1024:.0f} MB)"
          f"; left out {int(ours['left_out'])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, nargs="+", default=[100, 200])
    for invoices in parser.parse_args().invoices:
        measure(invoices)


if __name__ == "__main__":
    main()
